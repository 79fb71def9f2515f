#!/usr/bin/env python3
"""Run ThemisDB's Python SDK (clients/python, unchanged) against a themisd.

Usage: /usr/bin/python3 python_driver.py SDK_DIR BASE_URL
  SDK_DIR   the exported clients/python directory of a ThemisDB checkout
  BASE_URL  e.g. http://127.0.0.1:8765

Prints one line per SDK call: "python <call>: PASS|FAIL <detail>".  For a
FAIL the last HTTP exchange the SDK made (request and server answer) follows,
indented.  Exit status: number of failures (capped at 100).
Needs httpx (Debian python3-httpx).  Not part of ctest.
"""
import json
import sys
import time
import uuid as uuidlib

sdk_dir, base = sys.argv[1], sys.argv[2].rstrip("/")
sys.path.insert(0, sdk_dir)
import themis  # noqa: E402  the SDK, imported from the checkout
from themis import ThemisClient, TransactionError  # noqa: E402

RESULTS = []
LAST = []  # last few HTTP exchanges made by the SDK


def _on_response(resp):
    req = resp.request
    try:
        resp.read()
        rbody = resp.text
    except Exception as exc:  # pragma: no cover
        rbody = f"<unreadable: {exc}>"
    LAST.append({
        "method": req.method,
        "url": str(req.url),
        "txid": req.headers.get("X-Transaction-Id"),
        "body": (req.content or b"").decode("utf-8", "replace"),
        "status": resp.status_code,
        "resp": rbody,
    })
    del LAST[:-4]


def hook(client):
    # Observe the SDK's own httpx client without changing the SDK.
    client._http_client.event_hooks = {"request": [], "response": [_on_response]}
    return client


def show(ex):
    tx = f" [X-Transaction-Id: {ex['txid']}]" if ex["txid"] else ""
    body = f" {ex['body']}" if ex["body"] else ""
    return f"{ex['method']} {ex['url']}{tx}{body} -> {ex['status']} {ex['resp'][:400]}"


def check(name, fn):
    LAST.clear()
    try:
        ok, detail = fn()
    except Exception as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    detail = " ".join(str(detail).split("\n")[:1])
    RESULTS.append((name, ok))
    print(f"python {name}: {'PASS' if ok else 'FAIL'} {detail}", flush=True)
    if not ok:
        for ex in LAST[-2:]:
            print(f"    {show(ex)}", flush=True)
    return ok


run = uuidlib.uuid4().hex[:8]
COLL = f"users_{run}"            # SDK collection name
AQLC = f"relational__default__{COLL}"   # the collection themisd stores them in
BIND = f"relational.default.{COLL}"     # same, as a @@ collection bind value

c = hook(ThemisClient([base], timeout=10.0, max_retries=1))


def t_health():
    h = c.health()
    return h.get("status") in ("healthy", "ok"), json.dumps(h)[:200]


def t_put():
    r = c.put("relational", COLL, "1", {"name": "Alice", "age": 30})
    return r is True, f"returned {r!r}"


def t_get():
    r = c.get("relational", COLL, "1")
    ok = isinstance(r, dict) and r.get("name") == "Alice" and r.get("age") == 30
    return ok, f"returned {json.dumps(r)}"


def t_put_overwrite():
    r = c.put("relational", COLL, "1", {"name": "Alice", "age": 31})
    g = c.get("relational", COLL, "1")
    return r is True and g.get("age") == 31, f"put {r!r}, get {json.dumps(g)}"


def t_put_string():
    r = c.put("relational", COLL, "s", "plain text")
    g = c.get("relational", COLL, "s")
    c.delete("relational", COLL, "s")
    return r is True and g == "plain text", f"put {r!r}, get {g!r}"


def t_put_array():
    r = c.put("relational", COLL, "arr", [1, 2, 3])
    g = c.get("relational", COLL, "arr")
    c.delete("relational", COLL, "arr")
    return r is True and g == [1, 2, 3], f"put {r!r}, get {g!r}"


def t_namespace_uuid():
    c2 = hook(ThemisClient([base], namespace="tenant_a", timeout=10.0, max_retries=1))
    key = str(uuidlib.uuid4())
    p = c2.put("document", COLL, key, {"n": 1})
    g = c2.get("document", COLL, key)
    other = c.get("document", COLL, key)  # default namespace: a different table
    q = c2.query(f"FOR d IN document__tenant_a__{COLL} RETURN d.n")
    d = c2.delete("document", COLL, key)
    c2.close()
    ok = p is True and g == {"n": 1} and other is None and q.items == [1] and d is True
    return ok, f"key {key}: put {p!r}, get {g!r}, default-namespace get {other!r}, query {q.items}, delete {d!r}"


def t_get_missing():
    r = c.get("relational", COLL, "does-not-exist")
    return r is None, f"returned {r!r}"


def t_delete():
    c.put("relational", COLL, "d1", {"x": 1})
    r = c.delete("relational", COLL, "d1")
    g = c.get("relational", COLL, "d1")
    return r is True and g is None, f"delete {r!r}, get after {g!r}"


def t_delete_missing():
    r = c.delete("relational", COLL, "never-was")
    # ThemisDB answers 200 for a missing key (SDK -> True); 404 would give False.
    return r in (True, False), f"returned {r!r} (no exception)"


def t_batch_put():
    items = {f"b{i}": {"name": f"user{i}", "age": 20 + i} for i in range(6)}
    r = c.batch_put("relational", COLL, items)
    return sorted(r.succeeded) == sorted(items) and not r.failed, f"succeeded={len(r.succeeded)} failed={r.failed}"


def t_batch_put_seq():
    c2 = hook(ThemisClient([base], timeout=10.0, max_retries=1, max_workers=1))
    r = c2.batch_put("relational", COLL, {"q1": {"age": 90}, "q2": {"age": 91}})
    c2.close()
    return sorted(r.succeeded) == ["q1", "q2"] and not r.failed, f"succeeded={r.succeeded} failed={r.failed}"


def t_batch_get():
    r = c.batch_get("relational", COLL, ["b0", "b1", "b2", "nope1", "nope2"])
    ok = sorted(r.found) == ["b0", "b1", "b2"] and sorted(r.missing) == ["nope1", "nope2"] and not r.errors
    return ok, f"found={sorted(r.found)} missing={sorted(r.missing)} errors={r.errors}"


def t_batch_delete():
    r = c.batch_delete("relational", COLL, ["q1", "q2"])
    gone = c.batch_get("relational", COLL, ["q1", "q2"])
    ok = sorted(r.succeeded) == ["q1", "q2"] and not r.failed and sorted(gone.missing) == ["q1", "q2"]
    return ok, f"succeeded={sorted(r.succeeded)} failed={r.failed} missing after={sorted(gone.missing)}"


def t_query():
    r = c.query(f"FOR u IN {AQLC} RETURN u")
    n = len(r.items)
    # entities now: 1, b0..b5 = 7
    return n == 7 and r.count in (7, None), f"{n} items, count={r.count}, table={r.table}"


def t_query_params():
    r = c.query(f"FOR u IN {AQLC} FILTER u.age >= @min SORT u.age RETURN u.name", params={"min": 23})
    return r.items == ["user3", "user4", "user5", "Alice"], f"items={r.items}"


def t_query_collection_bind():
    r = c.query("FOR u IN @@c FILTER u.name == @n RETURN u", params={"@c": BIND, "n": "Alice"})
    ok = len(r.items) == 1 and isinstance(r.items[0], dict) and r.items[0].get("age") == 31
    return ok, f"items={json.dumps(r.items)[:200]}"


def t_query_cursor():
    q = f"FOR u IN {AQLC} SORT u.age DESC RETURN u.age"
    pages, seen, cur = 0, [], None
    while True:
        r = c.query(q, use_cursor=True, batch_size=3, cursor=cur)
        pages += 1
        seen.extend(r.items)
        if not r.has_more:
            break
        cur = r.next_cursor
        if not cur or pages > 10:
            return False, f"has_more without next_cursor / runaway after {pages} pages: {seen}"
    expect = [31, 25, 24, 23, 22, 21, 20]
    return seen == expect and pages == 3, f"{pages} pages, items={seen}"


def t_graph_traverse():
    r = c.graph_traverse(f"relational.default.{COLL}:1", max_depth=2, edge_type="knows")
    return isinstance(r, list), f"returned {r!r}"


def _server_answered_200():
    # vector_search drops non-200 answers and returns {"results": []}, so the
    # SDK's return value alone cannot tell a served search from a 404.
    statuses = [ex["status"] for ex in LAST]
    return bool(statuses) and all(s == 200 for s in statuses), statuses


def t_vector_search():
    r = c.vector_search([0.1, 0.2, 0.3], top_k=3, metadata_filter={"k": "v"})
    served, statuses = _server_answered_200()
    ok = served and isinstance(r, dict) and ("results" in r or "items" in r)
    return ok, f"returned {json.dumps(r)[:200]}, server status {statuses}"


def t_vector_search_cursor():
    r = c.vector_search([0.1, 0.2, 0.3], top_k=2, use_cursor=True)
    served, statuses = _server_answered_200()
    ok = served and isinstance(r, dict) and ("results" in r or "items" in r)
    return ok, f"returned {json.dumps(r)[:200]}, server status {statuses}"


STATE = {}


def t_begin_rc():
    tx = c.begin_transaction(isolation_level="READ_COMMITTED", timeout=30)
    STATE["rc"] = tx
    return bool(tx.transaction_id) and tx.is_active, f"transaction_id={tx.transaction_id}"


def t_tx_put():
    r = STATE["rc"].put("relational", COLL, "t1", {"name": "Tx", "age": 50})
    return r is True, f"returned {r!r}"


def t_tx_get_own_write():
    r = STATE["rc"].get("relational", COLL, "t1")
    return isinstance(r, dict) and r.get("age") == 50, f"returned {json.dumps(r)}"


def t_no_dirty_read():
    r = c.get("relational", COLL, "t1")
    return r is None, f"outside get returned {json.dumps(r)}"


def t_tx_query():
    r = STATE["rc"].query(f"FOR u IN {AQLC} FILTER u.age >= @a SORT u.age RETURN u.name", params={"a": 31})
    return r.items == ["Alice", "Tx"], f"items={r.items}"


def t_tx_query_cursor():
    q = f"FOR u IN {AQLC} SORT u.age RETURN u.age"
    seen, cur, pages = [], None, 0
    while True:
        r = STATE["rc"].query(q, use_cursor=True, batch_size=4, cursor=cur)
        pages += 1
        seen.extend(r.items)
        if not r.has_more or pages > 10:
            break
        cur = r.next_cursor
    return seen == [20, 21, 22, 23, 24, 25, 31, 50], f"{pages} pages, items={seen}"


def t_tx_delete():
    r = STATE["rc"].delete("relational", COLL, "b5")
    inside = STATE["rc"].get("relational", COLL, "b5")
    outside = c.get("relational", COLL, "b5")
    ok = r is True and inside is None and isinstance(outside, dict)
    return ok, f"delete {r!r}, inside get {inside!r}, outside get {json.dumps(outside)}"


def t_tx_commit():
    tx = STATE["rc"]
    tx.commit()
    a = c.get("relational", COLL, "t1")
    b = c.get("relational", COLL, "b5")
    ok = (not tx.is_active) and isinstance(a, dict) and a.get("age") == 50 and b is None
    return ok, f"after commit: t1={json.dumps(a)}, b5={b!r}"


def t_use_after_commit():
    try:
        STATE["rc"].put("relational", COLL, "zz", {})
    except TransactionError as exc:
        return True, f"TransactionError: {exc}"
    return False, "no error"


def t_begin_snapshot():
    tx = c.begin_transaction(isolation_level="SNAPSHOT", timeout=30)
    STATE["snap"] = tx
    return bool(tx.transaction_id), f"transaction_id={tx.transaction_id}"


def t_snapshot_isolation():
    tx = STATE["snap"]
    before = tx.get("relational", COLL, "b0")
    c.put("relational", COLL, "b0", {"name": "user0", "age": 99})
    after = tx.get("relational", COLL, "b0")
    ok = isinstance(after, dict) and after.get("age") == before.get("age") == 20
    return ok, f"inside before={json.dumps(before)}, after outside write={json.dumps(after)}"


def t_snap_writes():
    tx = STATE["snap"]
    p = tx.put("relational", COLL, "r1", {"name": "Rolled", "age": 1})
    d = tx.delete("relational", COLL, "b1")
    own = tx.get("relational", COLL, "r1")
    return p is True and d is True and isinstance(own, dict), f"put {p!r}, delete {d!r}, own read {json.dumps(own)}"


def t_tx_rollback():
    tx = STATE["snap"]
    tx.rollback()
    r1 = c.get("relational", COLL, "r1")
    b1 = c.get("relational", COLL, "b1")
    ok = (not tx.is_active) and r1 is None and isinstance(b1, dict)
    return ok, f"after rollback: r1={r1!r}, b1={json.dumps(b1)}"


def t_use_after_rollback():
    try:
        STATE["snap"].commit()
    except TransactionError as exc:
        return True, f"TransactionError: {exc}"
    return False, "no error"


def t_ctx_commit():
    with c.begin_transaction() as tx:
        tx.put("relational", COLL, "cm1", {"name": "ctx", "age": 60})
        mid = c.get("relational", COLL, "cm1")
    r = c.get("relational", COLL, "cm1")
    return mid is None and isinstance(r, dict) and r.get("age") == 60 and not tx.is_active, \
        f"during={mid!r}, after={json.dumps(r)}"


def t_ctx_rollback():
    class Boom(Exception):
        pass
    try:
        with c.begin_transaction(isolation_level="SNAPSHOT") as tx:
            tx.put("relational", COLL, "cm2", {"name": "ctx2"})
            raise Boom()
    except Boom:
        pass
    r = c.get("relational", COLL, "cm2")
    return r is None and not tx.is_active, f"after exception: cm2={r!r}, is_active={tx.is_active}"


def t_tx_timeout():
    tx = c.begin_transaction(timeout=1)
    tx.put("relational", COLL, "to1", {"x": 1})
    time.sleep(2.5)
    try:
        tx.commit()
        committed = True
    except TransactionError as exc:
        committed = False
        msg = str(exc)
    r = c.get("relational", COLL, "to1")
    if committed:
        return False, f"commit after idle timeout succeeded (to1={r!r})"
    return r is None, f"commit after timeout refused ({msg}); to1={r!r}"


def t_invalid_isolation():
    try:
        c.begin_transaction(isolation_level="SERIALIZABLE")
    except ValueError as exc:
        return True, f"ValueError (client-side): {exc}"
    return False, "no error"


def t_close():
    with ThemisClient([base]) as c3:
        h = c3.health()
    return "status" in h, "context-managed client closed"


CALLS = [
    ("health", t_health),
    ("put", t_put),
    ("get", t_get),
    ("put (overwrite)", t_put_overwrite),
    ("put/get (string payload)", t_put_string),
    ("put/get (JSON array payload)", t_put_array),
    ("put/get/delete (uuid key, namespace=tenant_a)", t_namespace_uuid),
    ("get (missing)", t_get_missing),
    ("delete", t_delete),
    ("delete (missing)", t_delete_missing),
    ("batch_put (parallel)", t_batch_put),
    ("batch_put (sequential)", t_batch_put_seq),
    ("batch_get", t_batch_get),
    ("batch_delete", t_batch_delete),
    ("query", t_query),
    ("query (params)", t_query_params),
    ("query (@@collection bind)", t_query_collection_bind),
    ("query (use_cursor/batch_size/cursor, SORTed)", t_query_cursor),
    ("graph_traverse", t_graph_traverse),
    ("vector_search", t_vector_search),
    ("vector_search (use_cursor)", t_vector_search_cursor),
    ("begin_transaction READ_COMMITTED timeout=30", t_begin_rc),
    ("Transaction.put", t_tx_put),
    ("Transaction.get (own write)", t_tx_get_own_write),
    ("get outside tx (no dirty read)", t_no_dirty_read),
    ("Transaction.query (params)", t_tx_query),
    ("Transaction.query (cursor)", t_tx_query_cursor),
    ("Transaction.delete", t_tx_delete),
    ("Transaction.commit", t_tx_commit),
    ("Transaction use after commit", t_use_after_commit),
    ("begin_transaction SNAPSHOT timeout=30", t_begin_snapshot),
    ("SNAPSHOT read isolation", t_snapshot_isolation),
    ("Transaction.put/delete/get (snapshot)", t_snap_writes),
    ("Transaction.rollback (discards)", t_tx_rollback),
    ("Transaction use after rollback", t_use_after_rollback),
    ("with begin_transaction(): commit on success", t_ctx_commit),
    ("with begin_transaction(): rollback on exception", t_ctx_rollback),
    ("begin_transaction timeout=1 (idle expiry)", t_tx_timeout),
    ("begin_transaction invalid isolation", t_invalid_isolation),
    ("ThemisClient context manager/close", t_close),
]

print(f"# ThemisDB Python SDK {themis.__version__} from {sdk_dir} against {base}", flush=True)
for name, fn in CALLS:
    check(name, fn)
c.close()
fails = sum(1 for _, ok in RESULTS if not ok)
print(f"# python: {len(RESULTS) - fails} PASS, {fails} FAIL of {len(RESULTS)}", flush=True)
sys.exit(min(fails, 100))
