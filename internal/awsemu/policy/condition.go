package policy

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition semantics, as the IAM User Guide ("Condition operators",
// "Multivalued context keys") documents them:
//
//   - Several operators in one Condition block, and several keys under one
//     operator, must all hold (AND). Several policy values for one key: any
//     may match (OR). For negated operators (StringNotEquals, NumericNotEquals,
//     DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike, StringNotLike,
//     StringNotEqualsIgnoreCase) the request value must match none of them:
//     each negated operator is exactly NOT of its positive form.
//   - A key absent from the request makes a positive operator false and a
//     negated one true. With ...IfExists, an absent key makes the condition
//     true whatever the operator. Null tests presence alone: "true" holds when
//     the key is absent, "false" when it is present.
//   - ForAnyValue: some request value must satisfy the operator; false when
//     the key is absent. ForAllValues: every request value must; true when the
//     key is absent. A key given with no values counts as absent.
//   - Without a set qualifier, a key with several request values behaves like
//     ForAnyValue for positive operators (and its negation for negated ones).
//
// Consequences for the MFA keys, which AWS omits for long-term-key requests:
// {"Bool":{"aws:MultiFactorAuthPresent":"true"}} never holds for them, and
// {"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}} always does.

type family uint8

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famArn
	famIP
	famBinary
	famNull
)

type comparison uint8

const (
	cmpEqual comparison = iota
	cmpLike
	cmpLess
	cmpLessEqual
	cmpGreater
	cmpGreaterEqual
)

type setQualifier uint8

const (
	setNone setQualifier = iota
	setAnyValue
	setAllValues
)

type operator struct {
	family   family
	cmp      comparison
	negated  bool
	fold     bool // StringEqualsIgnoreCase
	ifExists bool
	set      setQualifier
}

// lookupOperator parses an operator name such as
// "ForAllValues:StringNotLikeIfExists". Names are matched case-insensitively.
func lookupOperator(name string) (operator, bool) {
	var op operator
	base := strings.ToLower(name)
	if q, rest, ok := strings.Cut(base, ":"); ok {
		switch q {
		case "foranyvalue":
			op.set = setAnyValue
		case "forallvalues":
			op.set = setAllValues
		default:
			return op, false
		}
		base = rest
	}
	if b, ok := strings.CutSuffix(base, "ifexists"); ok {
		op.ifExists = true
		base = b
	}
	switch base {
	case "stringequals":
		op.family, op.cmp = famString, cmpEqual
	case "stringnotequals":
		op.family, op.cmp, op.negated = famString, cmpEqual, true
	case "stringequalsignorecase":
		op.family, op.cmp, op.fold = famString, cmpEqual, true
	case "stringnotequalsignorecase":
		op.family, op.cmp, op.fold, op.negated = famString, cmpEqual, true, true
	case "stringlike":
		op.family, op.cmp = famString, cmpLike
	case "stringnotlike":
		op.family, op.cmp, op.negated = famString, cmpLike, true
	case "numericequals":
		op.family, op.cmp = famNumeric, cmpEqual
	case "numericnotequals":
		op.family, op.cmp, op.negated = famNumeric, cmpEqual, true
	case "numericlessthan":
		op.family, op.cmp = famNumeric, cmpLess
	case "numericlessthanequals":
		op.family, op.cmp = famNumeric, cmpLessEqual
	case "numericgreaterthan":
		op.family, op.cmp = famNumeric, cmpGreater
	case "numericgreaterthanequals":
		op.family, op.cmp = famNumeric, cmpGreaterEqual
	case "dateequals":
		op.family, op.cmp = famDate, cmpEqual
	case "datenotequals":
		op.family, op.cmp, op.negated = famDate, cmpEqual, true
	case "datelessthan":
		op.family, op.cmp = famDate, cmpLess
	case "datelessthanequals":
		op.family, op.cmp = famDate, cmpLessEqual
	case "dategreaterthan":
		op.family, op.cmp = famDate, cmpGreater
	case "dategreaterthanequals":
		op.family, op.cmp = famDate, cmpGreaterEqual
	case "bool":
		op.family = famBool
	case "arnequals", "arnlike":
		// IAM documents both as the same component-wise wildcard match.
		op.family, op.cmp = famArn, cmpLike
	case "arnnotequals", "arnnotlike":
		op.family, op.cmp, op.negated = famArn, cmpLike, true
	case "ipaddress":
		op.family = famIP
	case "notipaddress":
		op.family, op.negated = famIP, true
	case "binaryequals":
		op.family = famBinary
	case "null":
		if op.ifExists || op.set != setNone {
			return op, false
		}
		op.family = famNull
	default:
		return op, false
	}
	return op, true
}

type condition struct {
	op     operator
	key    string // lower-cased: context keys are case-insensitive
	name   string // the key as the policy spells it, for MissingContextValues
	values []conditionValue
}

// conditionValue is one policy value, pre-parsed for its operator's family.
type conditionValue struct {
	text   template // famString, famArn
	raw    string   // famBinary
	num    float64
	when   time.Time
	flag   bool // famBool; famNull: true means "must be absent"
	prefix netip.Prefix
}

func parseConditions(raw json.RawMessage, what string, vars bool) ([]condition, error) {
	ops, err := objectMembers(raw, what)
	if err != nil {
		return nil, err
	}
	var out []condition
	for _, o := range ops {
		op, ok := lookupOperator(o.name)
		if !ok {
			return nil, parseErrorf("%s: unknown condition operator %s", what, quote(o.name))
		}
		opWhere := what + ": " + o.name
		keys, err := objectMembers(o.value, opWhere)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, parseErrorf("%s: no condition keys", opWhere)
		}
		for _, k := range keys {
			if prefix, rest, ok := strings.Cut(k.name, ":"); !ok || prefix == "" || rest == "" {
				return nil, parseErrorf("%s: condition key %s must be prefixed by a service, as in \"aws:\"", opWhere, quote(k.name))
			}
			texts, err := scalarList(k.value, opWhere+": "+k.name)
			if err != nil {
				return nil, err
			}
			c := condition{op: op, key: strings.ToLower(k.name), name: k.name}
			for _, t := range texts {
				v, ok := parseConditionValue(op, t, vars)
				if !ok {
					return nil, parseErrorf("%s: invalid value %s for key %s", opWhere, quote(t), quote(k.name))
				}
				c.values = append(c.values, v)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func parseConditionValue(op operator, s string, vars bool) (conditionValue, bool) {
	var v conditionValue
	switch op.family {
	case famString:
		v.text = compileTemplate(s, op.cmp == cmpLike, vars)
	case famArn:
		v.text = compileTemplate(s, true, vars)
	case famNumeric:
		n, ok := parseNumber(s)
		if !ok {
			return v, false
		}
		v.num = n
	case famDate:
		t, ok := parseDate(s)
		if !ok {
			return v, false
		}
		v.when = t
	case famBool, famNull:
		b, ok := parseBool(s)
		if !ok {
			return v, false
		}
		v.flag = b
	case famIP:
		p, ok := parseIPRange(s)
		if !ok {
			return v, false
		}
		v.prefix = p
	case famBinary:
		v.raw = s
	}
	return v, true
}

func parseNumber(s string) (float64, bool) {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return !strings.ContainsRune("0123456789+-.eE", r)
	}) >= 0 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// parseDate accepts the forms IAM documents: ISO 8601 / RFC 3339 date-times
// (seconds optional), plain dates, and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseBool(s string) (value, ok bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func parseIPRange(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// holds evaluates the condition. ok is false when a policy variable in it
// cannot be resolved, which makes the whole statement not apply.
func (c *condition) holds(ctx *requestContext) (holds, ok bool) {
	vals := ctx.values(c.key)
	present := len(vals) > 0
	if c.op.family == famNull {
		for _, v := range c.values {
			if v.flag != present {
				return true, true
			}
		}
		return false, true
	}
	if !present {
		switch {
		case c.op.ifExists:
			return true, true
		case c.op.set == setAllValues:
			return true, true
		case c.op.set == setAnyValue:
			return false, true
		}
		return c.op.negated, true
	}
	// Resolve the policy side once per evaluation.
	patterns := make([][]char, len(c.values))
	if c.op.family == famString || c.op.family == famArn {
		for i, v := range c.values {
			p, resolved := v.text.resolve(ctx, c.op.fold)
			if !resolved {
				return false, false
			}
			patterns[i] = p
		}
	}
	// positive reports whether one request value matches any policy value
	// under the operator's positive form.
	positive := func(rv string) bool {
		for i, v := range c.values {
			if c.matchValue(v, patterns[i], rv) {
				return true
			}
		}
		return false
	}
	switch c.op.set {
	case setAnyValue:
		for _, rv := range vals {
			if positive(rv) != c.op.negated {
				return true, true
			}
		}
		return false, true
	case setAllValues:
		for _, rv := range vals {
			if positive(rv) == c.op.negated {
				return false, true
			}
		}
		return true, true
	}
	for _, rv := range vals {
		if positive(rv) {
			return !c.op.negated, true
		}
	}
	return c.op.negated, true
}

func (c *condition) matchValue(v conditionValue, pattern []char, rv string) bool {
	switch c.op.family {
	case famString:
		return matchPattern(pattern, rv, false, c.op.fold)
	case famArn:
		if v.text.isStar() {
			return true
		}
		return matchPattern(pattern, rv, true, false)
	case famNumeric:
		n, ok := parseNumber(rv)
		return ok && compare(c.op.cmp, cmpFloat(n, v.num))
	case famDate:
		t, ok := parseDate(rv)
		return ok && compare(c.op.cmp, t.Compare(v.when))
	case famBool:
		b, ok := parseBool(rv)
		return ok && b == v.flag
	case famIP:
		a, err := netip.ParseAddr(rv)
		return err == nil && v.prefix.Contains(a.Unmap())
	case famBinary:
		return rv == v.raw
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare applies cmp to the sign of (request value - policy value).
func compare(cmp comparison, sign int) bool {
	switch cmp {
	case cmpEqual:
		return sign == 0
	case cmpLess:
		return sign < 0
	case cmpLessEqual:
		return sign <= 0
	case cmpGreater:
		return sign > 0
	case cmpGreaterEqual:
		return sign >= 0
	}
	return false
}
