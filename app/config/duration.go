package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// checkDurations refuses a duration key whose value is not a string.
// BurntSushi/toml takes a bare integer as nanoseconds, so `timeout = 120`
// would load as 120 ns and fail every call; a unit must be written. The
// keys come from the Config type itself, so a duration added later is
// checked too.
func checkDurations(md toml.MetaData, doc map[string]any) error {
	var errs []string
	for _, k := range durationKeys() {
		key := strings.Split(k, ".")
		switch md.Type(key...) {
		case "", "String":
		case "Integer", "Float":
			errs = append(errs, fmt.Sprintf("%s = %v has no unit; write a duration like \"120s\"", k, lookup(doc, key)))
		default:
			errs = append(errs, fmt.Sprintf("%s is not a duration; write one like \"120s\"", k))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// durationKeys lists the dotted TOML key of every time.Duration field of
// Config, in field order.
func durationKeys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			switch {
			case f.Type == reflect.TypeFor[time.Duration]():
				keys = append(keys, prefix+name)
			case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]():
				walk(f.Type, prefix+name+".")
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return keys
}

// lookup is the value at key in a decoded document, for the message.
func lookup(doc map[string]any, key []string) any {
	var v any = doc
	for _, k := range key {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
