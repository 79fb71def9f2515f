"""A test SAML 2.0 IdP for tests/integration/test_saml.py: keys and a
self-signed certificate from the openssl CLI, IdP metadata, and
Responses / LogoutRequests built as text and signed with the xmlsec1 CLI
(enveloped RSA-SHA256 signatures over exclusive C14N, the way real IdPs
sign), so that each test can also build what a real IdP never would:
expired, wrong-audience, forged, and signature-wrapped messages."""

import base64
import datetime
import os
import subprocess
import tempfile
import uuid
import zlib
import urllib.parse
import xml.etree.ElementTree as ET

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP_NS = "urn:oasis:names:tc:SAML:2.0:protocol"

SIG = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
       '<ds:SignedInfo><ds:CanonicalizationMethod Algorithm='
       '"http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod '
       'Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
       '<ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm='
       '"http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
       '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
       '</ds:Transforms><ds:DigestMethod Algorithm='
       '"http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>'
       '</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>'
       '</ds:SignatureValue></ds:Signature>')


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def make_key(directory, name):
    """(key path, cert path): RSA 2048 and a self-signed certificate."""
    key = os.path.join(directory, name + ".key")
    crt = os.path.join(directory, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=" + name], check=True,
                   capture_output=True, timeout=60)
    return key, crt


def metadata(entity, cert_path, sso, slo):
    with open(cert_path) as f:
        body = "".join(l for l in f.read().splitlines() if "-----" not in l)
    return f'''<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
  <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{slo}"/>
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>'''


def parse_redirect(location):
    """The AuthnRequest of an HTTP-Redirect URL: (root element, query)."""
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    xml = zlib.decompress(base64.b64decode(q["SAMLRequest"]), -15)
    return ET.fromstring(xml), q


class Idp:
    def __init__(self, directory, entity, sp_entity, acs):
        self.dir = directory
        self.entity = entity
        self.sp = sp_entity
        self.acs = acs
        self.key, self.crt = make_key(directory, "idp")

    def metadata_file(self, slo):
        path = os.path.join(self.dir, "idp-metadata.xml")
        with open(path, "w") as f:
            f.write(metadata(self.entity, self.crt, "https://idp.test/sso",
                             slo))
        return path

    def assertion(self, name, attrs, in_response_to, now=None,
                  lifetime=300, audience=None, recipient=None, sign=True,
                  aid=None, session_index=None, issuer=None):
        """(id, XML) of an assertion, with a Signature template if
        `sign`."""
        now = now or utcnow()
        nb = now - datetime.timedelta(seconds=30)
        na = now + datetime.timedelta(seconds=lifetime)
        aid = aid or "_a" + uuid.uuid4().hex
        a = "".join(
            f'<saml:Attribute Name="{k}">' + "".join(
                f"<saml:AttributeValue>{x}</saml:AttributeValue>"
                for x in (v if isinstance(v, list) else [v])) +
            "</saml:Attribute>" for k, v in attrs.items())
        irt = f' InResponseTo="{in_response_to}"' if in_response_to else ""
        si = session_index or "_s" + uuid.uuid4().hex
        return aid, (
            f'<saml:Assertion xmlns:saml="{SAML_NS}" ID="{aid}" '
            f'Version="2.0" IssueInstant="{iso(now)}"><saml:Issuer>'
            f'{issuer or self.entity}</saml:Issuer>'
            f'{SIG.format(id=aid) if sign else ""}'
            f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:'
            f'nameid-format:unspecified">{name}</saml:NameID>'
            f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:'
            f'cm:bearer"><saml:SubjectConfirmationData{irt} NotOnOrAfter='
            f'"{iso(na)}" Recipient="{recipient or self.acs}"/>'
            f'</saml:SubjectConfirmation></saml:Subject><saml:Conditions '
            f'NotBefore="{iso(nb)}" NotOnOrAfter="{iso(na)}">'
            f'<saml:AudienceRestriction><saml:Audience>{audience or self.sp}'
            f'</saml:Audience></saml:AudienceRestriction></saml:Conditions>'
            f'<saml:AuthnStatement AuthnInstant="{iso(now)}" SessionIndex='
            f'"{si}"><saml:AuthnContext><saml:AuthnContextClassRef>'
            f'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtected'
            f'Transport</saml:AuthnContextClassRef></saml:AuthnContext>'
            f'</saml:AuthnStatement><saml:AttributeStatement>{a}'
            f'</saml:AttributeStatement></saml:Assertion>')

    def response(self, in_response_to, inner, sign=False, destination=None):
        rid = "_r" + uuid.uuid4().hex
        irt = f' InResponseTo="{in_response_to}"' if in_response_to else ""
        return (f'<samlp:Response xmlns:samlp="{SAMLP_NS}" xmlns:saml='
                f'"{SAML_NS}" ID="{rid}" Version="2.0" IssueInstant='
                f'"{iso(utcnow())}" Destination="{destination or self.acs}"'
                f'{irt}><saml:Issuer>{self.entity}</saml:Issuer>'
                f'{SIG.format(id=rid) if sign else ""}<samlp:Status>'
                f'<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:'
                f'status:Success"/></samlp:Status>{inner}</samlp:Response>')

    def logout_request(self, name, session_index, destination):
        lid = "_l" + uuid.uuid4().hex
        si = (f"<samlp:SessionIndex>{session_index}</samlp:SessionIndex>"
              if session_index else "")
        return (f'<samlp:LogoutRequest xmlns:samlp="{SAMLP_NS}" '
                f'xmlns:saml="{SAML_NS}" ID="{lid}" Version="2.0" '
                f'IssueInstant="{iso(utcnow())}" Destination="{destination}">'
                f'<saml:Issuer>{self.entity}</saml:Issuer>'
                f'{SIG.format(id=lid)}<saml:NameID>{name}</saml:NameID>{si}'
                f'</samlp:LogoutRequest>')

    def sign(self, xml, node="urn:oasis:names:tc:SAML:2.0:assertion:"
             "Assertion", key=None, crt=None):
        """Fills every Signature template whose reference is a `node`."""
        with tempfile.TemporaryDirectory(dir=self.dir) as d:
            p = os.path.join(d, "t.xml")
            with open(p, "w") as f:
                f.write(xml)
            out = subprocess.run(
                ["xmlsec1", "--sign", "--privkey-pem",
                 f"{key or self.key},{crt or self.crt}", "--id-attr:ID",
                 node, "--output", p + ".s", p],
                capture_output=True, timeout=30)
            if out.returncode != 0:
                raise RuntimeError(out.stderr.decode())
            with open(p + ".s") as f:
                return f.read()


def b64(xml):
    return base64.b64encode(xml.encode()).decode()
