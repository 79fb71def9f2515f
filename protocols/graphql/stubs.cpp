// Temporary stubs so the glue can link against the headers; replaced by the
// real parser / schema / validator / executor as they land.
#include "protocols/graphql/executor.hpp"
#include "protocols/graphql/parser.hpp"
#include "protocols/graphql/validator.hpp"

namespace themis::graphql {

std::vector<error> validate(const schema&, const document&,
                            const validate_limits&, const nlohmann::json*) {
  return {};
}
std::size_t operation_complexity(const schema&, const document&,
                                 const operation_definition&,
                                 const validate_limits&,
                                 const nlohmann::json*) {
  return 0;
}
struct executor::impl {};
executor::executor(const schema&, const document&, execute_options) :
  impl_(std::make_unique<impl>()) {}
executor::~executor() = default;
void executor::start() {}
bool executor::resolve(deferred_handle, field_result) {
  return false;
}
void executor::resume() {}
bool executor::done() const {
  return true;
}
std::size_t executor::pending() const {
  return 0;
}
nlohmann::json executor::response() const {
  return {{"errors", {{{"message", "executor not implemented yet"}}}}};
}
bool executor::request_error() const {
  return true;
}
deferred_handle executor::new_handle() {
  return 0;
}
deferred_handle resolve_context::defer() {
  return exec.new_handle();
}
deferred_handle batch_context::defer() {
  return exec.new_handle();
}
nlohmann::json execute_sync(const schema& s, const document& d,
                            execute_options o) {
  executor e(s, d, std::move(o));
  e.start();
  return e.response();
}

} // namespace themis::graphql
