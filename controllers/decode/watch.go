package decode

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// events decodes a JSON watch stream, each object with Kind.Item.
type events struct {
	body    io.ReadCloser
	dec     *json.Decoder
	kind    Kind
	skipped func(error)
}

// newWatch returns a watch over a JSON watch stream.
func (k Kind) newWatch(body io.ReadCloser, skipped func(error)) watch.Interface {
	d := &events{body: body, dec: json.NewDecoder(body), kind: k, skipped: skipped}
	return watch.NewStreamWatcher(d, apierrors.NewClientErrorReporter(http.StatusInternalServerError, "GET", "ClientWatchDecoding"))
}

// Decode implements watch.Decoder. An event whose object names nothing is
// skipped; every other object arrives, as a stand-in if it must.
func (d *events) Decode() (watch.EventType, runtime.Object, error) {
	for {
		var ev struct {
			Type   watch.EventType `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := d.dec.Decode(&ev); err != nil {
			return "", nil, err
		}
		switch ev.Type {
		case watch.Error:
			st := &metav1.Status{}
			if err := json.Unmarshal(ev.Object, st); err != nil {
				return "", nil, fmt.Errorf("decoding a watch error: %w", err)
			}
			return watch.Error, st, nil
		case watch.Added, watch.Modified, watch.Deleted, watch.Bookmark:
			obj, err := d.kind.Item(ev.Object)
			if err != nil {
				d.skipped(fmt.Errorf("%s event: %w", ev.Type, err))
				continue
			}
			return ev.Type, obj, nil
		default:
			return "", nil, fmt.Errorf("watch event of unknown type %q", ev.Type)
		}
	}
}

// Close implements watch.Decoder.
func (d *events) Close() { _ = d.body.Close() }
