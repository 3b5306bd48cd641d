package decode

import (
	"io"

	"k8s.io/apimachinery/pkg/watch"
)

// NewWatchForTest exposes newWatch to the package's tests.
func NewWatchForTest(k Kind, body io.ReadCloser, skipped func(error)) watch.Interface {
	return k.newWatch(body, skipped)
}
