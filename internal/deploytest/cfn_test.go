// Package deploytest holds only tests: checks of template.yaml and
// samconfig.toml, the files a deployment is made of.
package deploytest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The repository root, seen from this package's directory.
var root = filepath.Join("..", "..")

// template is template.yaml as plain Go values, with CloudFormation's short
// forms in their long form: !Ref X is {"Ref": "X"}, !Sub s is
// {"Fn::Sub": s}, !GetAtt A.B is {"Fn::GetAtt": ["A", "B"]}.
type template map[string]any

func loadTemplate(t *testing.T) template {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	v, err := cfnValue(&doc)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatal("template.yaml is not a mapping")
	}
	return m
}

// cfnValue converts one YAML node, resolving CloudFormation's tags.
func cfnValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnValue(n.Content[0])
	case yaml.AliasNode:
		return cfnValue(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") { // !Ref, not !!str
		tag := strings.TrimPrefix(n.Tag, "!")
		plain := *n
		plain.Tag = ""
		if n.Kind == yaml.ScalarNode {
			plain.Tag = "!!str"
		}
		v, err := cfnValue(&plain)
		if err != nil {
			return nil, err
		}
		switch tag {
		case "Ref", "Condition":
			return map[string]any{tag: v}, nil
		case "GetAtt":
			if s, ok := v.(string); ok {
				resource, attr, _ := strings.Cut(s, ".")
				v = []any{resource, attr}
			}
		}
		return map[string]any{"Fn::" + tag: v}, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			v, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return v, nil
}

func (tpl template) section(name string) map[string]any {
	m, _ := tpl[name].(map[string]any)
	return m
}

func (tpl template) resource(name string) map[string]any {
	m, _ := tpl.section("Resources")[name].(map[string]any)
	return m
}

// resourcesOfType returns the logical ids of every resource of a type.
func (tpl template) resourcesOfType(typ string) []string {
	var ids []string
	for id, r := range tpl.section("Resources") {
		if r.(map[string]any)["Type"] == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

func props(resource map[string]any) map[string]any {
	m, _ := resource["Properties"].(map[string]any)
	return m
}

// number reads a YAML number or a numeric string, as CloudFormation does.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

// stack is a deployment to evaluate a template's conditions for: the
// region and the parameter values.
type stack struct {
	tpl    template
	region string
	params map[string]string
}

// pseudo are the pseudo parameters' values for a test stack.
func (s stack) pseudo(name string) (string, bool) {
	switch name {
	case "AWS::Region":
		return s.region, true
	case "AWS::StackName":
		return "teststack", true
	case "AWS::AccountId":
		return "123456789012", true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	}
	return "", false
}

// ref resolves a Ref to a parameter (given or default) or pseudo parameter.
func (s stack) ref(name string) (string, error) {
	if v, ok := s.pseudo(name); ok {
		return v, nil
	}
	if v, ok := s.params[name]; ok {
		return v, nil
	}
	if p, ok := s.tpl.section("Parameters")[name].(map[string]any); ok {
		if d, ok := p["Default"]; ok {
			return fmt.Sprint(d), nil
		}
		return "", fmt.Errorf("parameter %s has no value and no default", name)
	}
	return "", fmt.Errorf("Ref %s: no such parameter", name)
}

// condition evaluates a named condition of the Conditions section.
func (s stack) condition(name string) (bool, error) {
	c, ok := s.tpl.section("Conditions")[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	v, err := s.eval(c)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s is %T, not a boolean", name, v)
	}
	return b, nil
}

// eval evaluates exactly the intrinsic functions the template's conditions
// use; any other function is an error, so a new one cannot go unevaluated.
func (s stack) eval(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v, nil // a literal
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Ref":
			return s.ref(fmt.Sprint(arg))
		case "Condition":
			return s.condition(fmt.Sprint(arg))
		case "Fn::Equals":
			if len(args) != 2 {
				return nil, fmt.Errorf("Fn::Equals takes 2 values, has %v", arg)
			}
			a, err := s.evalString(args[0])
			if err != nil {
				return nil, err
			}
			b, err := s.evalString(args[1])
			if err != nil {
				return nil, err
			}
			return a == b, nil
		case "Fn::Not":
			if len(args) != 1 {
				return nil, fmt.Errorf("Fn::Not takes 1 condition, has %v", arg)
			}
			b, err := s.evalBool(args[0])
			return !b, err
		case "Fn::And", "Fn::Or":
			if len(args) < 2 || len(args) > 10 {
				return nil, fmt.Errorf("%s takes 2 to 10 conditions, has %v", fn, arg)
			}
			for _, a := range args {
				b, err := s.evalBool(a)
				if err != nil {
					return nil, err
				}
				if b == (fn == "Fn::Or") {
					return b, nil
				}
			}
			return fn == "Fn::And", nil
		case "Fn::Split":
			if len(args) != 2 {
				return nil, fmt.Errorf("Fn::Split takes a delimiter and a string, has %v", arg)
			}
			str, err := s.evalString(args[1])
			if err != nil {
				return nil, err
			}
			parts := strings.Split(str, fmt.Sprint(args[0]))
			list := make([]any, len(parts))
			for i, p := range parts {
				list[i] = p
			}
			return list, nil
		case "Fn::Select":
			if len(args) != 2 {
				return nil, fmt.Errorf("Fn::Select takes an index and a list, has %v", arg)
			}
			i, ok := number(args[0])
			if !ok {
				return nil, fmt.Errorf("Fn::Select index %v is not a number", args[0])
			}
			lv, err := s.eval(args[1])
			if err != nil {
				return nil, err
			}
			list, ok := lv.([]any)
			if !ok {
				return nil, fmt.Errorf("Fn::Select of %T, not a list", lv)
			}
			if int(i) < 0 || int(i) >= len(list) {
				// CloudFormation fails the deployment here.
				return nil, fmt.Errorf("Fn::Select index %d out of range of %d items", int(i), len(list))
			}
			return list[int(i)], nil
		}
		return nil, fmt.Errorf("the test's evaluator does not know %s", fn)
	}
	panic("unreachable")
}

func (s stack) evalString(v any) (string, error) {
	r, err := s.eval(v)
	if err != nil {
		return "", err
	}
	switch r.(type) {
	case string, int, float64:
		return fmt.Sprint(r), nil
	}
	return "", fmt.Errorf("%v is %T, not a string", v, r)
}

func (s stack) evalBool(v any) (bool, error) {
	r, err := s.eval(v)
	if err != nil {
		return false, err
	}
	b, ok := r.(bool)
	if !ok {
		return false, fmt.Errorf("%v is %T, not a boolean", v, r)
	}
	return b, nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub renders an Fn::Sub string: its own variables first, then pseudo
// parameters, parameters and resources. A resource becomes "ref:Name" and
// an attribute "att:Name.Attr", so that what it points at stays visible.
func (s stack) sub(t *testing.T, arg any) string {
	t.Helper()
	str, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		str = a
	case []any:
		str = a[0].(string)
		vars = a[1].(map[string]any)
	default:
		t.Fatalf("Fn::Sub of %T", arg)
	}
	return subVar.ReplaceAllStringFunc(str, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // a literal ${...}
		}
		if v, ok := vars[name]; ok {
			if inner, ok := v.(map[string]any)["Fn::Sub"]; ok {
				return s.sub(t, inner)
			}
			r, err := s.evalString(v)
			if err != nil {
				t.Fatalf("Fn::Sub variable %s: %v", name, err)
			}
			return r
		}
		if res, attr, ok := strings.Cut(name, "."); ok {
			if s.tpl.resource(res) == nil {
				t.Fatalf("Fn::Sub ${%s}: no resource %s", name, res)
			}
			return "att:" + res + "." + attr
		}
		if s.tpl.resource(name) != nil {
			return "ref:" + name
		}
		r, err := s.ref(name)
		if err != nil {
			t.Fatalf("Fn::Sub ${%s}: %v", name, err)
		}
		return r
	})
}
