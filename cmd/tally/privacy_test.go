package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

	// The day's salt lives only in the server's memory, so this test cannot
	// compute the visitor keys the server used; the storetest link test,
	// which holds the salt, looks for those (and for any value shared
	// between stored rows).
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
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
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
