package public

// A validator for the subset of JSON Schema that docs/report-schema.json
// uses: type, properties, required, additionalProperties: false, items,
// enum, minimum, pattern, oneOf and local $ref. A keyword outside the
// subset fails the test, so the schema cannot silently outgrow it.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

type schemaValidator struct{ root map[string]any }

func loadSchema(t *testing.T) *schemaValidator {
	t.Helper()
	b, err := os.ReadFile("../../docs/report-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("docs/report-schema.json is not JSON: %v", err)
	}
	return &schemaValidator{root: root}
}

var knownKeywords = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "title": true, "description": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "minimum": true, "pattern": true, "oneOf": true, "$ref": true,
}

func (v *schemaValidator) validate(s map[string]any, doc any, at string) error {
	for k := range s {
		if !knownKeywords[k] {
			return fmt.Errorf("schema keyword %q at %s is outside the validator's subset", k, at)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		def, _ := v.root["$defs"].(map[string]any)[name].(map[string]any)
		if !ok || def == nil {
			return fmt.Errorf("unresolvable $ref %q", ref)
		}
		return v.validate(def, doc, at)
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		var errs []string
		for _, a := range alts {
			if err := v.validate(a.(map[string]any), doc, at); err == nil {
				n++
			} else {
				errs = append(errs, err.Error())
			}
		}
		if n != 1 {
			return fmt.Errorf("%s matches %d of oneOf's alternatives, want 1 (%s)", at, n, strings.Join(errs, "; "))
		}
	}
	if typ, ok := s["type"].(string); ok && !hasType(doc, typ) {
		return fmt.Errorf("%s is %T, want %s", at, doc, typ)
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || reflect.DeepEqual(e, doc)
		}
		if !found {
			return fmt.Errorf("%s = %v, not one of %v", at, doc, enum)
		}
	}
	if min, ok := s["minimum"].(float64); ok {
		if n, isNum := doc.(float64); isNum && n < min {
			return fmt.Errorf("%s = %v, below the minimum %v", at, n, min)
		}
	}
	if pat, ok := s["pattern"].(string); ok {
		if str, isStr := doc.(string); isStr && !regexp.MustCompile(pat).MatchString(str) {
			return fmt.Errorf("%s = %q does not match %s", at, str, pat)
		}
	}
	if obj, ok := doc.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s lacks the required %q", at, r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if s["additionalProperties"] == false {
					return fmt.Errorf("%s has %q, which the schema does not allow", at, k)
				}
				continue
			}
			if err := v.validate(ps, obj[k], at+"."+k); err != nil {
				return err
			}
		}
	}
	if arr, ok := doc.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range arr {
				if err := v.validate(items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func asList(v any) []any { l, _ := v.([]any); return l }

func hasType(doc any, typ string) bool {
	switch typ {
	case "null":
		return doc == nil
	case "string":
		_, ok := doc.(string)
		return ok
	case "boolean":
		_, ok := doc.(bool)
		return ok
	case "number":
		_, ok := doc.(float64)
		return ok
	case "integer":
		n, ok := doc.(float64)
		return ok && n == math.Trunc(n)
	case "object":
		_, ok := doc.(map[string]any)
		return ok
	case "array":
		_, ok := doc.([]any)
		return ok
	}
	return false
}

// validateReport checks a JSON report against docs/report-schema.json.
func validateReport(t *testing.T, body []byte) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("the report is not JSON: %v", err)
	}
	if err := loadSchema(t).validate(loadSchema(t).root, doc, "report"); err != nil {
		t.Errorf("the JSON report does not validate against docs/report-schema.json: %v", err)
	}
}

// TestSchemaRejects makes sure the validator and the schema have teeth.
func TestSchemaRejects(t *testing.T) {
	v := loadSchema(t)
	for name, doc := range map[string]string{
		"negative count":  `{"visitors":-5,"pageviews":0}`,
		"fractional":      `{"visitors":2.5,"pageviews":0}`,
		"unknown field":   `{"visitors":5,"pageviews":0,"ip":"192.0.2.1"}`,
		"missing field":   `{"visitors":5}`,
		"string as count": `{"visitors":"5","pageviews":0}`,
	} {
		var d any
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		counts := v.root["$defs"].(map[string]any)["counts"].(map[string]any)
		if err := v.validate(counts, d, name); err == nil {
			t.Errorf("%s: %s validated", name, doc)
		}
	}
}
