// Run ThemisDB's Go SDK (clients/go, package themisdb, unchanged) against a
// themisd.  The runner copies this file into the exported SDK module as
// cmd/themisd-check/main.go so it builds without downloading anything:
//
//	cd clients/go && GOFLAGS=-mod=mod GOPROXY=off go run ./cmd/themisd-check BASE_URL
//
// Prints one line per SDK call: "go <call>: PASS|FAIL <detail>"; for a FAIL
// the last HTTP exchanges the SDK made follow, indented.  Not part of ctest.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"

	themisdb "github.com/makr-code/ThemisDB/clients/go"
)

type exchange struct {
	method, url, txid, body string
	status                  int
	resp                    string
}

var last []exchange

// recorder observes the SDK's requests; the SDK builds its own http.Client
// with the default transport, so wrap http.DefaultTransport.
type recorder struct{ next http.RoundTripper }

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := r.next.RoundTrip(req)
	ex := exchange{method: req.Method, url: req.URL.String(), txid: req.Header.Get("X-Transaction-Id"), body: string(reqBody)}
	if err != nil {
		ex.resp = "transport error: " + err.Error()
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		ex.status, ex.resp = resp.StatusCode, string(b)
	}
	last = append(last, ex)
	if len(last) > 4 {
		last = last[len(last)-4:]
	}
	return resp, err
}

func show(ex exchange) string {
	s := ex.method + " " + ex.url
	if ex.txid != "" {
		s += " [X-Transaction-Id: " + ex.txid + "]"
	}
	if ex.body != "" {
		s += " " + ex.body
	}
	r := ex.resp
	if len(r) > 400 {
		r = r[:400]
	}
	return fmt.Sprintf("%s -> %d %s", s, ex.status, strings.TrimSpace(r))
}

var passed, failed int

func check(name string, fn func() (bool, string)) {
	last = nil
	var ok bool
	var detail string
	func() {
		defer func() {
			if p := recover(); p != nil {
				ok, detail = false, fmt.Sprintf("panic: %v", p)
			}
		}()
		ok, detail = fn()
	}()
	detail = strings.SplitN(detail, "\n", 2)[0]
	verdict := "PASS"
	if ok {
		passed++
	} else {
		failed++
		verdict = "FAIL"
	}
	fmt.Printf("go %s: %s %s\n", name, verdict, detail)
	if !ok {
		from := 0
		if len(last) > 2 {
			from = len(last) - 2
		}
		for _, ex := range last[from:] {
			fmt.Printf("    %s\n", show(ex))
		}
	}
}

func js(v interface{}) string { b, _ := json.Marshal(v); return string(b) }

func is404(err error) bool { return err != nil && strings.Contains(err.Error(), "status 404") }

type user struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: themisd-check BASE_URL")
		os.Exit(2)
	}
	base := strings.TrimSuffix(os.Args[1], "/")
	http.DefaultTransport = recorder{next: http.DefaultTransport}

	rb := make([]byte, 4)
	_, _ = rand.Read(rb)
	coll := "users_" + hex.EncodeToString(rb)
	aqlc := "relational__default__" + coll
	ctx := context.Background()
	c := themisdb.NewClient(themisdb.Config{Endpoints: []string{base}, Timeout: 10 * time.Second})
	var rc, snap *themisdb.Transaction

	fmt.Printf("# ThemisDB Go SDK (clients/go) against %s\n", base)

	check("Put", func() (bool, string) {
		err := c.Put(ctx, "relational", coll, "1", map[string]interface{}{"name": "Alice", "age": 30})
		return err == nil, fmt.Sprintf("err=%v", err)
	})
	check("Get", func() (bool, string) {
		var u user
		err := c.Get(ctx, "relational", coll, "1", &u)
		return err == nil && u == user{"Alice", 30}, fmt.Sprintf("err=%v value=%s", err, js(u))
	})
	check("Put (overwrite)", func() (bool, string) {
		err := c.Put(ctx, "relational", coll, "1", user{"Alice", 31})
		var u user
		gerr := c.Get(ctx, "relational", coll, "1", &u)
		return err == nil && gerr == nil && u.Age == 31, fmt.Sprintf("put err=%v, get err=%v value=%s", err, gerr, js(u))
	})
	check("Get (map result)", func() (bool, string) {
		var m map[string]interface{}
		err := c.Get(ctx, "relational", coll, "1", &m)
		return err == nil && m["name"] == "Alice", fmt.Sprintf("err=%v value=%s", err, js(m))
	})
	check("Get (missing)", func() (bool, string) {
		var u user
		err := c.Get(ctx, "relational", coll, "nope", &u)
		return is404(err), fmt.Sprintf("err=%v", err)
	})
	check("Delete", func() (bool, string) {
		_ = c.Put(ctx, "relational", coll, "d1", map[string]int{"x": 1})
		err := c.Delete(ctx, "relational", coll, "d1")
		var u user
		gerr := c.Get(ctx, "relational", coll, "d1", &u)
		return err == nil && is404(gerr), fmt.Sprintf("delete err=%v, get after: %v", err, gerr)
	})
	check("Delete (missing)", func() (bool, string) {
		err := c.Delete(ctx, "relational", coll, "never")
		return err == nil || is404(err), fmt.Sprintf("err=%v", err)
	})
	check("Query", func() (bool, string) {
		for i := 0; i < 6; i++ {
			if err := c.Put(ctx, "relational", coll, fmt.Sprintf("b%d", i), user{fmt.Sprintf("user%d", i), 20 + i}); err != nil {
				return false, "setup put: " + err.Error()
			}
		}
		var rows []user
		err := c.Query(ctx, fmt.Sprintf("FOR u IN %s SORT u.age RETURN u", aqlc), &rows)
		return err == nil && len(rows) == 7 && rows[6].Name == "Alice", fmt.Sprintf("err=%v rows=%s", err, js(rows))
	})
	check("Query (projection, FILTER)", func() (bool, string) {
		var names []string
		err := c.Query(ctx, fmt.Sprintf("FOR u IN %s FILTER u.age >= 23 SORT u.age RETURN u.name", aqlc), &names)
		return err == nil && reflect.DeepEqual(names, []string{"user3", "user4", "user5", "Alice"}), fmt.Sprintf("err=%v rows=%s", err, js(names))
	})
	check("BeginTransaction READ_COMMITTED", func() (bool, string) {
		var err error
		rc, err = c.BeginTransaction(ctx, &themisdb.TransactionOptions{IsolationLevel: themisdb.ReadCommitted, Timeout: 30 * time.Second})
		if err != nil {
			return false, err.Error()
		}
		return rc.TransactionID() != "" && rc.IsActive(), "id=" + rc.TransactionID()
	})
	check("Transaction.Put", func() (bool, string) {
		err := rc.Put(ctx, "relational", coll, "t1", user{"Tx", 50})
		return err == nil, fmt.Sprintf("err=%v", err)
	})
	check("Transaction.Get (own write)", func() (bool, string) {
		var u user
		err := rc.Get(ctx, "relational", coll, "t1", &u)
		return err == nil && u.Age == 50, fmt.Sprintf("err=%v value=%s", err, js(u))
	})
	check("Get outside tx (no dirty read)", func() (bool, string) {
		var u user
		err := c.Get(ctx, "relational", coll, "t1", &u)
		return is404(err), fmt.Sprintf("outside get: err=%v value=%s", err, js(u))
	})
	check("Transaction.Query", func() (bool, string) {
		var names []string
		err := rc.Query(ctx, fmt.Sprintf("FOR u IN %s FILTER u.age >= 31 SORT u.age RETURN u.name", aqlc), &names)
		return err == nil && reflect.DeepEqual(names, []string{"Alice", "Tx"}), fmt.Sprintf("err=%v rows=%s", err, js(names))
	})
	check("Transaction.Delete", func() (bool, string) {
		err := rc.Delete(ctx, "relational", coll, "b5")
		var in, out user
		ierr := rc.Get(ctx, "relational", coll, "b5", &in)
		oerr := c.Get(ctx, "relational", coll, "b5", &out)
		return err == nil && is404(ierr) && oerr == nil && out.Age == 25,
			fmt.Sprintf("delete err=%v, inside get err=%v, outside get err=%v value=%s", err, ierr, oerr, js(out))
	})
	check("Transaction.Commit", func() (bool, string) {
		err := rc.Commit(ctx)
		var t user
		terr := c.Get(ctx, "relational", coll, "t1", &t)
		berr := c.Get(ctx, "relational", coll, "b5", &user{})
		return err == nil && !rc.IsActive() && terr == nil && t.Age == 50 && is404(berr),
			fmt.Sprintf("commit err=%v; after: t1 err=%v value=%s, b5 err=%v", err, terr, js(t), berr)
	})
	check("Transaction use after Commit", func() (bool, string) {
		err := rc.Put(ctx, "relational", coll, "zz", user{})
		return errors.Is(err, themisdb.ErrTransactionNotActive), fmt.Sprintf("err=%v", err)
	})
	check("BeginTransaction SNAPSHOT", func() (bool, string) {
		var err error
		snap, err = c.BeginTransaction(ctx, &themisdb.TransactionOptions{IsolationLevel: themisdb.Snapshot, Timeout: 30 * time.Second})
		if err != nil {
			return false, err.Error()
		}
		return snap.TransactionID() != "", "id=" + snap.TransactionID()
	})
	check("SNAPSHOT read isolation", func() (bool, string) {
		var before, after user
		e1 := snap.Get(ctx, "relational", coll, "b0", &before)
		e2 := c.Put(ctx, "relational", coll, "b0", user{"user0", 99})
		e3 := snap.Get(ctx, "relational", coll, "b0", &after)
		return e1 == nil && e2 == nil && e3 == nil && before.Age == 20 && after.Age == 20,
			fmt.Sprintf("inside before=%s, after outside write=%s (errs %v %v %v)", js(before), js(after), e1, e2, e3)
	})
	check("Transaction.Put/Delete/Get (snapshot)", func() (bool, string) {
		e1 := snap.Put(ctx, "relational", coll, "r1", user{"Rolled", 1})
		e2 := snap.Delete(ctx, "relational", coll, "b1")
		var own user
		e3 := snap.Get(ctx, "relational", coll, "r1", &own)
		return e1 == nil && e2 == nil && e3 == nil && own.Age == 1, fmt.Sprintf("put %v, delete %v, own read %v %s", e1, e2, e3, js(own))
	})
	check("Transaction.Rollback (discards)", func() (bool, string) {
		err := snap.Rollback(ctx)
		rerr := c.Get(ctx, "relational", coll, "r1", &user{})
		var b1 user
		berr := c.Get(ctx, "relational", coll, "b1", &b1)
		return err == nil && !snap.IsActive() && is404(rerr) && berr == nil && b1.Age == 21,
			fmt.Sprintf("rollback err=%v; after: r1 %v, b1 err=%v value=%s", err, rerr, berr, js(b1))
	})
	check("Transaction use after Rollback", func() (bool, string) {
		err := snap.Commit(ctx)
		return errors.Is(err, themisdb.ErrTransactionNotActive), fmt.Sprintf("err=%v", err)
	})
	check("BeginTransaction (nil options) + Commit", func() (bool, string) {
		tx, err := c.BeginTransaction(ctx, nil)
		if err != nil {
			return false, err.Error()
		}
		if err := tx.Put(ctx, "relational", coll, "n1", user{"n", 70}); err != nil {
			return false, "put: " + err.Error()
		}
		if err := tx.Commit(ctx); err != nil {
			return false, "commit: " + err.Error()
		}
		var u user
		gerr := c.Get(ctx, "relational", coll, "n1", &u)
		return gerr == nil && u.Age == 70, fmt.Sprintf("after commit n1 err=%v value=%s", gerr, js(u))
	})
	check("Transaction.Query sees own delete", func() (bool, string) {
		tx, err := c.BeginTransaction(ctx, &themisdb.TransactionOptions{IsolationLevel: themisdb.ReadCommitted})
		if err != nil {
			return false, err.Error()
		}
		defer tx.Rollback(ctx)
		if err := tx.Delete(ctx, "relational", coll, "b2"); err != nil {
			return false, "delete: " + err.Error()
		}
		var names []string
		qerr := tx.Query(ctx, fmt.Sprintf("FOR u IN %s FILTER u.name == \"user2\" RETURN u.name", aqlc), &names)
		var outside []string
		oerr := c.Query(ctx, fmt.Sprintf("FOR u IN %s FILTER u.name == \"user2\" RETURN u.name", aqlc), &outside)
		return qerr == nil && oerr == nil && len(names) == 0 && len(outside) == 1,
			fmt.Sprintf("inside=%s outside=%s (errs %v %v)", js(names), js(outside), qerr, oerr)
	})

	fmt.Printf("# go: %d PASS, %d FAIL of %d\n", passed, failed, passed+failed)
	if failed > 100 {
		failed = 100
	}
	os.Exit(failed)
}
