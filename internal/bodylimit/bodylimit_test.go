package bodylimit

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"testing"
)

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDecode(t *testing.T) {
	const max = 1000
	small := []byte(`{"n":"pageview"}`)
	bomb := gz(t, make([]byte, 50<<20)) // 50 MB of zeros in ~50 KB
	var zl, raw bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write(small)
	zw.Close()
	fw, _ := flate.NewWriter(&raw, flate.DefaultCompression)
	fw.Write(small)
	fw.Close()

	cases := []struct {
		name, enc string
		body      []byte
		want      []byte
		err       error // nil: success; otherwise errors.Is target, or errAny
	}{
		{"identity", "", small, small, nil},
		{"identity named", "Identity", small, small, nil},
		{"identity too large", "", bytes.Repeat([]byte("a"), max+1), nil, ErrTooLarge},
		{"gzip", "gzip", gz(t, small), small, nil},
		{"x-gzip", "x-gzip", gz(t, small), small, nil},
		{"gzip at the limit", "gzip", gz(t, bytes.Repeat([]byte("a"), max)), bytes.Repeat([]byte("a"), max), nil},
		{"gzip one past the limit", "gzip", gz(t, bytes.Repeat([]byte("a"), max+1)), nil, ErrTooLarge},
		{"gzip bomb", "gzip", bomb, nil, ErrTooLarge},
		{"two layers", "gzip, gzip", gz(t, bomb), nil, ErrEncoding},
		{"brotli", "br", []byte{1, 2, 3}, nil, ErrEncoding},
		{"unknown", "compress", []byte{1}, nil, ErrEncoding},
		{"deflate (zlib)", "deflate", zl.Bytes(), small, nil},
		{"deflate (raw)", "deflate", raw.Bytes(), small, nil},
		{"corrupt gzip", "gzip", []byte("not gzip at all"), nil, errAny},
		{"second member ignored", "gzip", append(gz(t, small), bomb...), small, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.enc, tc.body, max)
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("error %v", err)
			case tc.err == nil && !bytes.Equal(got, tc.want):
				t.Fatalf("decoded %q, want %q", got, tc.want)
			case tc.err == errAny && err == nil:
				t.Fatalf("decoded %q, want an error", got)
			case tc.err != nil && tc.err != errAny && !errors.Is(err, tc.err):
				t.Fatalf("error %v, want %v", err, tc.err)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestStatus(t *testing.T) {
	for err, code := range map[error]int{ErrTooLarge: 413, ErrEncoding: 415, errors.New("flate: corrupt input"): 400} {
		if got := Status(err).Code; got != code {
			t.Errorf("%v: status %d, want %d", err, got, code)
		}
	}
}
