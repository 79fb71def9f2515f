/// ValuesOfCorrectType (section 5.6.1) as graphql-js 16 applies it: every
/// literal node is checked against the type expected at its position and
/// reported there (an item of a list, an input object's field), so one
/// argument can yield several errors; scalars word their own refusals
/// ("Int cannot represent non-integer value: 1.5"), enums suggest values.

#include "engine/graphql/suggest.hpp"
#include "engine/graphql/validation_context.hpp"
#include "engine/graphql/values.hpp"

namespace themis::graphql {

namespace {

std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

const type_ref& nullable(const type_ref& t) {
  return t.is_non_null() ? *t.of : t;
}

class value_checker {
public:
  explicit value_checker(validation_context& c) : c_(c) {}

  /// `t` null: the position has no known input type (unknown argument or
  /// input field, reported elsewhere): nothing below is checked.
  void visit(const value& v, const type_ref* t) {
    if (c_.full())
      return;
    switch (v.kind) {
      case value_kind::variable:
        return; // VariablesInAllowedPosition
      case value_kind::null:
        if (t && t->is_non_null())
          expected(*t, v);
        return;
      case value_kind::list: {
        if (!t)
          return;
        const type_ref& n = nullable(*t);
        if (!n.is_list()) {
          // graphql-js checks the list as a whole against the item type
          // position, which for a non-list is the nullable type
          leaf(v, n);
          return;
        }
        for (const auto& item : v.items)
          visit(item, n.of.get());
        return;
      }
      case value_kind::object: {
        if (!t)
          return;
        const type_def* td = c_.s.find(t->base_name());
        if (!td || td->kind != type_kind::input_object) {
          leaf(v, *t);
          return;
        }
        for (const auto& fd : td->input_fields) {
          bool given = false;
          for (const auto& f : v.items)
            given |= f.name == fd.name;
          if (!given && fd.type.is_non_null() && !fd.default_value)
            c_.report("Field " + q(td->name + "." + fd.name) +
                        " of required type " + q(fd.type.str()) +
                        " was not provided.",
                      {v.loc});
        }
        for (const auto& f : v.items) {
          const input_value_def* fd = td->input_field(f.name);
          if (!fd) {
            std::vector<std::string> names;
            for (const auto& x : td->input_fields)
              names.push_back(x.name);
            c_.report("Field " + q(f.name) + " is not defined by type " +
                        q(td->name) + "." +
                        did_you_mean(suggestion_list(f.name, names)),
                      {f.name_loc});
          }
          visit(f, fd ? &fd->type : nullptr);
        }
        return;
      }
      default:
        if (t)
          leaf(v, *t);
        return;
    }
  }

private:
  void expected(const type_ref& t, const value& v) {
    c_.report("Expected value of type " + q(t.str()) + ", found " +
                print_ast_value(v) + ".",
              {v.loc});
  }

  /// isValidValueNode: a literal where a leaf (scalar/enum) type goes.
  void leaf(const value& v, const type_ref& t) {
    const type_def* td = c_.s.find(t.base_name());
    if (!td)
      return;
    if (!td->is_leaf()) {
      expected(t, v);
      return;
    }
    if (td->kind == type_kind::enum_) {
      std::string printed = print_ast_value(v);
      std::vector<std::string> names;
      for (const auto& e : td->enum_values)
        names.push_back(e.name);
      auto hint = [&] {
        return did_you_mean(suggestion_list(printed, names), "the enum value");
      };
      if (v.kind != value_kind::enum_)
        c_.report("Enum " + q(td->name) + " cannot represent non-enum value: " +
                    printed + "." + hint(),
                  {v.loc});
      else if (!td->enum_value(v.text))
        c_.report("Value " + q(printed) + " does not exist in " + q(td->name) +
                    " enum." + hint(),
                  {v.loc});
      return;
    }
    std::string why;
    if (coerce_literal(c_.s, v, type_ref::named_type(td->name), nullptr, why))
      return;
    // built-in scalars explain themselves (graphql-js throws a GraphQLError
    // from parseLiteral); a custom scalar's refusal is the generic message
    static const std::string generic = "Expected value of type ";
    auto detail = why.find("; ");
    if (why.rfind(generic, 0) == 0 && detail != std::string::npos)
      c_.report(why.substr(detail + 2), {v.loc});
    else
      expected(t, v);
  }

  validation_context& c_;
};

} // namespace

void check_value_literal(validation_context& c, const value& v,
                         const type_ref* t) {
  value_checker(c).visit(v, t);
}

} // namespace themis::graphql
