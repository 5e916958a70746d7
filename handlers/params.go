package handlers

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/web"
)

// params are an API request's parameters from the query string, a form body
// or a JSON body, merged the way GitLab's Grape API sees them (body wins).
// GitLab clients send JSON; curl users send forms or query strings.
type params map[string]any

// readParams parses a request's parameters once; a malformed JSON body is a
// 400 that says so.
func readParams(c echo.Context) (params, error) {
	if p, ok := c.Get("params").(params); ok {
		return p, nil
	}
	p := params{}
	for k, v := range c.QueryParams() {
		p.setValues(k, v)
	}
	r := c.Request()
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ct {
		case "application/json":
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return nil, err
			}
			if len(strings.TrimSpace(string(body))) > 0 {
				var m map[string]any
				dec := json.NewDecoder(strings.NewReader(string(body)))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil {
					return nil, &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": "The request body is not valid JSON: " + err.Error()}}
				}
				for k, v := range m {
					p[k] = v
				}
			}
		case "application/x-www-form-urlencoded", "multipart/form-data":
			if _, err := c.FormParams(); err != nil {
				return nil, &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": "The request body could not be parsed: " + err.Error()}}
			}
			body := r.PostForm
			if r.MultipartForm != nil {
				body = r.MultipartForm.Value
			}
			for k, v := range body {
				p.setValues(k, v)
			}
		}
	}
	c.Set("params", p)
	return p, nil
}

// setValues stores form/query values: "a[]" keys and "a[0][key]" keys
// become lists, as Rails/Grape parse them.
func (p params) setValues(k string, v []string) {
	if i := strings.Index(k, "["); i > 0 {
		base, rest := k[:i], k[i:]
		if rest == "[]" {
			list, _ := p[base].([]any)
			for _, s := range v {
				list = append(list, s)
			}
			p[base] = list
			return
		}
		// a[0][key]=value or a[][key]=value. The values of one key come in
		// order, but keys are visited in map order, so a[][key] and
		// a[][value] are zipped: the i-th of each builds the i-th element.
		inner := strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]")
		if parts := strings.Split(inner, "]["); len(parts) == 2 {
			list, _ := p[base].([]any)
			idx := -1
			if parts[0] != "" {
				n, err := strconv.Atoi(parts[0])
				if err == nil {
					idx = n
				}
			}
			for i, s := range v {
				target := idx
				if target < 0 {
					target = i
				}
				for len(list) <= target {
					list = append(list, map[string]any{})
				}
				m, _ := list[target].(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				m[parts[1]] = s
				list[target] = m
			}
			p[base] = list
			return
		}
	}
	if len(v) > 0 {
		p[k] = v[len(v)-1]
	}
}

// Has reports whether the parameter was given.
func (p params) Has(k string) bool { _, ok := p[k]; return ok }

// String returns a string parameter (numbers and booleans are formatted).
func (p params) String(k string) (string, bool) {
	v, ok := p[k]
	if !ok || v == nil {
		return "", ok
	}
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return fmt.Sprint(v), true
}

// Bool returns a boolean parameter; errors name the parameter as Grape does.
func (p params) Bool(k string) (bool, bool, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return false, false, nil
	}
	switch t := v.(type) {
	case bool:
		return t, true, nil
	case string:
		switch strings.ToLower(t) {
		case "true", "1", "yes", "on", "t":
			return true, true, nil
		case "false", "0", "no", "off", "f", "":
			return false, true, nil
		}
	case json.Number:
		switch t.String() {
		case "1":
			return true, true, nil
		case "0":
			return false, true, nil
		}
	}
	return false, true, invalidParam(k)
}

// Int64 returns an integer parameter.
func (p params) Int64(k string) (int64, bool, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return 0, false, nil
	}
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	case float64:
		s = strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return 0, true, invalidParam(k)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, invalidParam(k)
	}
	return n, true, nil
}

// StringList returns a list parameter given as an array or a comma list.
func (p params) StringList(k string) ([]string, bool) {
	v, ok := p[k]
	if !ok || v == nil {
		return nil, ok
	}
	switch t := v.(type) {
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			} else {
				out = append(out, fmt.Sprint(x))
			}
		}
		return out, true
	case string:
		if t == "" {
			return []string{}, true
		}
		parts := strings.Split(t, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, true
	}
	return nil, true
}

// KeyValues returns a list of {key, value} objects (url_variables,
// custom_headers); value is nil when absent.
func (p params) KeyValues(k string) ([]keyValue, bool, error) {
	v, ok := p[k]
	if !ok || v == nil {
		return nil, ok, nil
	}
	list, isList := v.([]any)
	if !isList {
		return nil, true, invalidParam(k)
	}
	out := make([]keyValue, 0, len(list))
	for _, item := range list {
		m, isMap := item.(map[string]any)
		if !isMap {
			return nil, true, invalidParam(k)
		}
		kv := keyValue{}
		if s, ok := m["key"].(string); ok {
			kv.Key = s
		} else {
			return nil, true, &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": k + "[key] is missing"}}
		}
		if val, ok := m["value"]; ok && val != nil {
			s := fmt.Sprint(val)
			kv.Value = &s
		}
		out = append(out, kv)
	}
	return out, true, nil
}

type keyValue struct {
	Key   string
	Value *string
}

// Require returns a string parameter or GitLab's "<name> is missing".
func (p params) Require(k string) (string, error) {
	s, ok := p.String(k)
	if !ok {
		return "", missingParam(k)
	}
	return s, nil
}

func missingParam(k string) error {
	return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": k + " is missing"}}
}

func invalidParam(k string) error {
	return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": k + " is invalid"}}
}

func notValidValue(k string) error {
	return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": k + " does not have a valid value"}}
}

// pathParam returns an unescaped path parameter (echo keeps %2F escaped so
// that "acme%2Fapi" stays one parameter).
func pathParam(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}
