/// COPY … FROM STDIN and COPY … TO STDOUT, text, CSV and binary formats.

#include "actors/pg_copy_binary.hpp"
#include "actors/pg_frontend.hpp"
#include "engine/sql/pg_types.hpp"

namespace themis {

using namespace themis::pgwire;

namespace {

std::string text_escape(const std::string& s, char delim) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c == delim) {
          out.push_back('\\');
        }
        out.push_back(c);
    }
  }
  return out;
}

std::string csv_quote(const std::string& s, const sql::copy_spec& cp) {
  bool need = s.empty() || s == cp.null_text;
  for (char c : s)
    need = need || c == cp.delimiter || c == cp.quote || c == '\n' || c == '\r';
  if (!need)
    return s;
  std::string out(1, cp.quote);
  for (char c : s) {
    if (c == cp.quote)
      out.push_back(cp.quote);
    out.push_back(c);
  }
  out.push_back(cp.quote);
  return out;
}

/// One text-format field with backslash escapes decoded.
std::string text_unescape(std::string_view f) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '\\' || i + 1 >= f.size()) {
      out.push_back(f[i]);
      continue;
    }
    char c = f[++i];
    switch (c) {
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x': {
        int v = 0, n = 0;
        while (n < 2 && i + 1 < f.size() &&
               std::isxdigit(static_cast<unsigned char>(f[i + 1]))) {
          char h = f[++i];
          v = v * 16 + (h <= '9' ? h - '0' : (h | 32) - 'a' + 10);
          ++n;
        }
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0', n = 1;
          while (n < 3 && i + 1 < f.size() && f[i + 1] >= '0' &&
                 f[i + 1] <= '7') {
            v = v * 8 + (f[++i] - '0');
            ++n;
          }
          out.push_back(static_cast<char>(v));
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

} // namespace

void pg_frontend::start_copy_in(portal& p) {
  auto& cp = p.st.copy;
  auto* t = cat_.find(cp.table);
  auto target = sql::quote_ident(cp.table);
  // a tenant's or a database's table: cp.table is its stored name, the
  // INSERT below names it as the session does
  if (!t && !info_.ns.empty() && cp.table.rfind(info_.ns, 0) == 0) {
    auto local = cp.table.substr(info_.ns.size());
    t = cat_.find_permanent(local);
    target = "public." + sql::quote_ident(local);
  }
  if (!t)
    throw sql::sql_error("42P01",
                         "relation \"" + cp.table + "\" does not exist");
  std::string cols, vals;
  for (size_t i = 0; i < cp.columns.size(); ++i) {
    cols +=
      (i ? ", " : "") +
      sql::quote_ident(t->columns[static_cast<size_t>(cp.columns[i])].name);
    vals += (i ? ", $" : "$") + std::to_string(i + 1);
  }
  auto parsed = sql::parse_sql("INSERT INTO " + target + " (" + cols +
                               ") VALUES (" + vals + ")");
  // translate first: copy_ is set only for a COPY that really starts
  auto state = std::make_unique<copy_in_state>();
  state->insert = translate(parsed[0], {});
  state->spec = cp;
  copy_ = std::move(state);
  put_copy_in(session_.out(), cp.binary,
              static_cast<int16_t>(cp.columns.size()));
  session_.begin_copy_in();
}

void pg_frontend::parse_copy_lines(bool final) {
  auto& c = *copy_;
  auto& cp = c.spec;
  auto& types = c.insert.params;
  size_t pos = 0;
  auto& buf = c.buffer;
  if (cp.binary) {
    if (c.binary_ended && !buf.empty())
      throw sql::sql_error("22P04", "received copy data after EOF marker");
    pgcopy::parse_binary(buf, pos, final, c.header_skipped, c.binary_ended,
                         types, c.rows);
    buf.erase(0, c.binary_ended ? buf.size() : pos);
    return;
  }
  if (c.binary_ended) { // after the end marker `\.` nothing more is read
    buf.clear();
    return;
  }
  while (pos < buf.size()) {
    // find the end of one record (CSV quotes may hold newlines)
    size_t end = pos;
    bool quoted = false;
    while (end < buf.size()) {
      char ch = buf[end];
      if (cp.csv && ch == cp.quote)
        quoted = !quoted;
      else if (ch == '\n' && !quoted)
        break;
      ++end;
    }
    if (end == buf.size() && !final)
      break;
    std::string_view line(buf.data() + pos, end - pos);
    pos = end < buf.size() ? end + 1 : end;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line == "\\.") {
      // the end of the data (pg_restore sends it, and a blank line after)
      c.binary_ended = true;
      buf.clear();
      return;
    }
    if (cp.header && !c.header_skipped) {
      c.header_skipped = true;
      continue;
    }
    if (line.empty() && final && pos >= buf.size())
      break;
    std::vector<std::optional<std::string>> fields;
    if (cp.csv) {
      std::string f;
      bool q = false, was_quoted = false;
      for (size_t i = 0; i <= line.size(); ++i) {
        if (i == line.size() || (!q && line[i] == cp.delimiter)) {
          if (!was_quoted && f == cp.null_text)
            fields.emplace_back();
          else
            fields.emplace_back(f);
          f.clear();
          was_quoted = false;
          continue;
        }
        char ch = line[i];
        if (ch == cp.quote) {
          if (q && i + 1 < line.size() && line[i + 1] == cp.quote) {
            f.push_back(cp.quote);
            ++i;
          } else {
            q = !q;
            was_quoted = true;
          }
        } else {
          f.push_back(ch);
        }
      }
    } else {
      size_t start = 0;
      for (size_t i = 0; i <= line.size(); ++i) {
        if (i < line.size() && line[i] == '\\') {
          ++i;
          continue;
        }
        if (i == line.size() || line[i] == cp.delimiter) {
          auto raw = line.substr(start, i - start);
          if (raw == cp.null_text)
            fields.emplace_back();
          else
            fields.emplace_back(text_unescape(raw));
          start = i + 1;
        }
      }
    }
    if (fields.size() != cp.columns.size())
      throw sql::sql_error("22P04",
                           "COPY row " + std::to_string(c.rows.size() + 1) +
                             ": expected " + std::to_string(cp.columns.size()) +
                             " columns, got " + std::to_string(fields.size()));
    std::vector<sql::value> row;
    for (size_t i = 0; i < fields.size(); ++i)
      row.push_back(fields[i]
                      ? sql::coerce(sql::value::of_text(*fields[i]), types[i])
                      : sql::value{});
    c.rows.push_back(std::move(row));
  }
  buf.erase(0, pos);
}

void pg_frontend::on_copy_data(std::string_view data) {
  if (!copy_ || copy_->insert.sql.empty())
    return; // failed earlier: the rest is discarded until CopyDone
  copy_->buffer.append(data);
  try {
    parse_copy_lines(false);
  } catch (const sql::sql_error& e) {
    copy_->rows.clear();
    copy_->buffer.clear();
    copy_->spec.columns.clear(); // marks the copy as failed
    copy_->insert.sql.clear();
    send_error(e, false);
  }
}

void pg_frontend::on_copy_done() {
  if (!copy_)
    return;
  auto c = std::move(copy_);
  if (c->insert.sql.empty()) { // failed while receiving
    rest_.clear();
    ready();
    return;
  }
  try {
    copy_ = std::move(c);
    parse_copy_lines(true);
    c = std::move(copy_);
    portal p;
    p.st = c->insert;
    p.st.kind = sql::stmt_kind::copy_from;
    auto job = std::make_shared<sql::write_job>();
    job->st = p.st;
    job->param_rows = std::move(c->rows);
    if (tx_ == tx::block) {
      auto r = tx_call(sql_tx_request::op::run, job);
      if (!r.sqlstate.empty())
        throw sql::sql_error(r.sqlstate, r.message);
    } else if (!job->param_rows.empty()) {
      auto r = port_.write(job);
      if (!job->sqlstate.empty())
        throw sql::sql_error(job->sqlstate, job->message);
      if (!r.committed)
        throw sql::sql_error(r.overloaded ? "53300" : "XX000",
                             r.error.empty() ? "the write failed" : r.error);
    }
    put_command_complete(session_.out(),
                         "COPY " + std::to_string(job->result.affected));
  } catch (const sql::sql_error& e) {
    copy_.reset();
    rest_.clear(); // an error ends the query string
    send_error(e, false);
  }
  run_statements(std::move(rest_), 0);
}

void pg_frontend::on_copy_fail(const std::string& message) {
  copy_.reset();
  rest_.clear();
  send_error(sql::sql_error("57014", "COPY from stdin failed: " + message),
             false);
  ready();
}

void pg_frontend::run_copy_out(portal& p) {
  auto& cp = p.st.copy;
  std::vector<sql::row> rows;
  if (pinned_) {
    auto job = std::make_shared<sql::write_job>();
    job->st = p.st;
    auto r = tx_call(sql_tx_request::op::run, job);
    if (!r.sqlstate.empty())
      throw sql::sql_error(r.sqlstate, r.message);
    rows = std::move(job->result.rows);
  }
  put_copy_out(session_.out(), cp.binary,
               static_cast<int16_t>(p.st.columns.size()));
  size_t n = 0;
  std::vector<uint32_t> oids;
  for (auto& col : p.st.columns)
    oids.push_back(col.type_oid);
  // the binary header travels in the first row's CopyData (or the
  // trailer's), as PostgreSQL sends it: psycopg 3 expects it there
  std::string header = cp.binary ? pgcopy::binary_header() : std::string();
  auto emit = [&](const sql::row& r) {
    if (cp.binary) {
      put_copy_data(session_.out(), header + pgcopy::binary_tuple(r, oids));
      header.clear();
      ++n;
      if (session_.out().size() > (64u << 10))
        session_.flush();
      return;
    }
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i)
        line.push_back(cp.delimiter);
      if (r[i].is_null()) {
        line += cp.null_text;
        continue;
      }
      auto v = sql::to_text(r[i], p.st.columns[i].type_oid);
      line += cp.csv ? csv_quote(v, cp) : text_escape(v, cp.delimiter);
    }
    line.push_back('\n');
    put_copy_data(session_.out(), line);
    ++n;
    if (session_.out().size() > (64u << 10))
      session_.flush();
  };
  if (cp.csv && cp.header) {
    std::string h;
    for (size_t i = 0; i < p.st.columns.size(); ++i)
      h += (i ? std::string(1, cp.delimiter) : "") +
           csv_quote(p.st.columns[i].name, cp);
    put_copy_data(session_.out(), h + "\n");
  }
  if (pinned_) {
    for (auto& r : rows)
      emit(r);
  } else {
    sql::query_cursor c(db_, cp.query_sql, {});
    c.fetch(0, [&](sql::row& r) { emit(r); });
  }
  if (cp.binary)
    put_copy_data(session_.out(), header + pgcopy::binary_trailer());
  put_copy_done(session_.out());
  put_command_complete(session_.out(), "COPY " + std::to_string(n));
}

} // namespace themis
