package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/aggregate"
	"tally/aggregate/sqlite"
	"tally/collector"
)

// scanForPersonalData reads every byte under dir, and the log, and fails on
// any form of the visitors' IP addresses (text, binary, truncated), their
// user-agent strings, the pages' query strings, the search terms of their
// referrers, and their visitor keys.
func scanForPersonalData(t *testing.T, dir, log string, vs []visitor) {
	t.Helper()
	type needle struct {
		what string
		b    []byte
	}
	var needles []needle
	add := func(what string, b []byte) { needles = append(needles, needle{what, b}) }

	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	site, err := st.Site(ctx, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	// Today's salt is in the store by design (it is destroyed tomorrow);
	// with it we can compute the keys the server used and look for them.
	salt, err := st.Salt(ctx, time.Now().UTC().Format(time.DateOnly), make([]byte, aggregate.SaltSize))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	for i, v := range vs {
		ip := netip.MustParseAddr(v.ip)
		prefix := collector.Truncate(ip)
		add("IP text", []byte(v.ip))
		add("IP binary", ip.AsSlice())
		a16 := ip.As16()
		add("IP 16-byte", a16[:])
		add("truncated IP text", []byte(prefix.Addr().String()))
		p16 := prefix.Addr().As16()
		add("truncated IP 16-byte", p16[:])
		if ip.Is4() {
			b := ip.As4()
			add("IP as uint32 text", []byte(fmt.Sprint(binary.BigEndian.Uint32(b[:]))))
		}
		add("user agent", []byte(v.ua))
		add("query string", []byte(fmt.Sprintf("email=visitor%d", i)))
		add("query value", []byte(fmt.Sprintf("visitor%d@mail.example.org", i)))
		add("search term", []byte(fmt.Sprintf("secretterm%d", i)))
		k := collector.VisitorKey(salt, site.ID, prefix, v.ua)
		var be, le [8]byte
		binary.BigEndian.PutUint64(be[:], k)
		binary.LittleEndian.PutUint64(le[:], k)
		add("visitor key BE", be[:])
		add("visitor key LE", le[:])
		add("visitor key decimal", []byte(fmt.Sprint(k)))
		add("visitor key hex", []byte(fmt.Sprintf("%x", k)))
	}
	add("utm query string", []byte("utm_source=newsletter"))

	check := func(name string, data []byte) {
		for _, n := range needles {
			if bytes.Contains(data, n.b) {
				t.Errorf("%s holds %s %q", name, n.what, n.b)
			}
		}
	}
	files := 0
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		check(path, data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no files under the data directory: nothing was scanned")
	}
	check("log", []byte(log))
	if !strings.Contains(log, "tally is serving") {
		t.Fatal("the log was not captured: nothing was scanned")
	}
}
