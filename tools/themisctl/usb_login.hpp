#pragma once
/// `themisctl admin login --key FILE` (issue 24): the client half of the
/// USB admin login. Reads the private key from the file (on the USB
/// volume), asks the server for a nonce, signs it and prints the
/// short-lived admin token.

#include <string>

namespace themisctl {

class admin_client;

/// Exit code: 0 (token on stdout; the whole answer with `json`), 1
/// unreachable or local failure, 2 refused. `require_removable`: stop
/// before contacting the server when the key file is not on a removable
/// device of this host.
int usb_admin_login(admin_client& c, const std::string& key_file,
                    bool require_removable, bool json);

} // namespace themisctl
