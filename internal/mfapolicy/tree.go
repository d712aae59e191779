package mfapolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// node is a JSON value that keeps its object members in order, so that a
// Document can be re-emitted as HCL or inside a CloudFormation template in
// the same order as its JSON.
type node struct {
	kind  nodeKind
	text  string   // nodeString: the string; nodeNumber, nodeLiteral: the JSON text
	keys  []string // nodeObject
	items []*node  // nodeObject: values, parallel to keys; nodeArray: elements
}

type nodeKind uint8

const (
	nodeString nodeKind = iota
	nodeNumber
	nodeLiteral // true, false, null
	nodeObject
	nodeArray
)

func str(s string) *node { return &node{kind: nodeString, text: s} }

func num(s string) *node { return &node{kind: nodeNumber, text: s} }

func obj(kv ...any) *node {
	n := &node{kind: nodeObject}
	for i := 0; i+1 < len(kv); i += 2 {
		n.set(kv[i].(string), kv[i+1].(*node))
	}
	return n
}

func arr(items ...*node) *node { return &node{kind: nodeArray, items: items} }

func (n *node) set(key string, v *node) *node {
	n.keys = append(n.keys, key)
	n.items = append(n.items, v)
	return n
}

// docTree returns d as a tree in its marshalled order.
func docTree(d *Document) (*node, error) {
	compact, err := d.Compact()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(compact))
	dec.UseNumber()
	return readNode(dec)
}

func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: nodeObject}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.set(k.(string), v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{kind: nodeArray}
			for dec.More() {
				v, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		return str(t), nil
	case json.Number:
		return num(t.String()), nil
	case bool:
		return &node{kind: nodeLiteral, text: fmt.Sprint(t)}, nil
	case nil:
		return &node{kind: nodeLiteral, text: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// writeJSON writes n as JSON indented by two spaces per level, as
// json.MarshalIndent would, without HTML escaping.
func writeJSON(b *bytes.Buffer, n *node, indent string) {
	switch n.kind {
	case nodeString:
		b.WriteString(jsonString(n.text))
	case nodeNumber, nodeLiteral:
		b.WriteString(n.text)
	case nodeObject:
		if len(n.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, k := range n.keys {
			b.WriteString(indent + "  " + jsonString(k) + ": ")
			writeJSON(b, n.items[i], indent+"  ")
			if i < len(n.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case nodeArray:
		if len(n.items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, v := range n.items {
			b.WriteString(indent + "  ")
			writeJSON(b, v, indent+"  ")
			if i < len(n.items)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	}
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
