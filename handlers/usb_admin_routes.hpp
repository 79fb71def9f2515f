#pragma once
/// HTTP endpoints of USB admin keys (issue 24; docs/security.md, "USB
/// admin keys"): the login challenge and login (no credentials: the key
/// is the credential) and the admin API that enrolls, lists and removes
/// keys. Translation only — auth/usb_admin/login_service decides. 404
/// while auth.usb_admin.enabled is off.

namespace themis {

class route_registry;

void register_usb_admin_routes(route_registry& reg);

} // namespace themis
