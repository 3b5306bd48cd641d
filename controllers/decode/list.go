package decode

import (
	"encoding/json"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// List is a list of objects decoded one at a time; the reflector takes its
// items as they are.
type List struct {
	metav1.TypeMeta
	metav1.ListMeta
	Items []runtime.Object
}

// DeepCopyObject implements runtime.Object.
func (l *List) DeepCopyObject() runtime.Object {
	c := &List{TypeMeta: l.TypeMeta, Items: make([]runtime.Object, len(l.Items))}
	l.DeepCopyInto(&c.ListMeta)
	for i, it := range l.Items {
		c.Items[i] = it.DeepCopyObject()
	}
	return c
}

// ReadList reads a list response as JSON, decoding each item with Kind.Item
// as it arrives, so neither the whole response nor a list of full objects
// is held at once. skipped hears of each item that names nothing and is
// left out.
func (k Kind) ReadList(r io.Reader, skipped func(error)) (*List, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	list := &List{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch key {
		case "metadata":
			err = dec.Decode(&list.ListMeta)
		case "items":
			list.Items, err = k.readItems(dec, skipped)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, fmt.Errorf("field %v: %w", key, err)
		}
	}
	return list, expectDelim(dec, '}')
}

func (k Kind) readItems(dec *json.Decoder, skipped func(error)) ([]runtime.Object, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	var items []runtime.Object
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		obj, err := k.Item(raw)
		if err != nil {
			skipped(fmt.Errorf("item %d: %w", i, err))
			continue
		}
		items = append(items, obj)
	}
	return items, expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, t)
	}
	return nil
}
