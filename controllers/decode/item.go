package decode

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Kind says how to decode one kind of object.
type Kind struct {
	// Resource is the plural resource name, such as dhcpleases.
	Resource string
	// New returns an empty object of the kind.
	New func() client.Object
	// Compact, when set, trims a decoded object to what its readers need;
	// it must keep UnreadableAnnotation.
	Compact func(client.Object)
}

// Item decodes one stored object. An object that does not decode becomes
// a stand-in: an empty object of the kind with the stored object's
// metadata and UnreadableAnnotation saying why. The error is for an
// object whose metadata cannot be read either: nothing names it, so it is
// skipped.
func (k Kind) Item(raw []byte) (client.Object, error) {
	obj := k.New()
	err := utiljson.Unmarshal(raw, obj)
	if err != nil {
		obj, err = k.standIn(raw, err)
		if err != nil {
			return nil, err
		}
	}
	if k.Compact != nil {
		k.Compact(obj)
	}
	return obj, nil
}

// standIn returns an empty object carrying the metadata of raw and why
// raw did not decode.
func (k Kind) standIn(raw []byte, why error) (client.Object, error) {
	var partial struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := utiljson.Unmarshal(raw, &partial); err != nil || partial.Metadata.Name == "" {
		return nil, fmt.Errorf("an object whose metadata cannot be read either (%v): %w", err, why)
	}
	m := partial.Metadata
	obj := k.New()
	obj.SetName(m.Name)
	obj.SetNamespace(m.Namespace)
	obj.SetUID(m.UID)
	obj.SetResourceVersion(m.ResourceVersion)
	obj.SetGeneration(m.Generation)
	obj.SetCreationTimestamp(m.CreationTimestamp)
	obj.SetDeletionTimestamp(m.DeletionTimestamp)
	obj.SetAnnotations(map[string]string{UnreadableAnnotation: why.Error()})
	return obj, nil
}
