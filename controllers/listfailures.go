package controllers

import "sync"

// ListFailures passes on the failed lists and watches of the Lease
// informer, which the cache creates before the lease watcher exists.
type ListFailures struct {
	mu     sync.Mutex
	listen func(error)
}

// Failed records a failed list or watch of resource; the informers call
// it.
func (f *ListFailures) Failed(resource string, err error) {
	if resource != "dhcpleases" {
		return
	}
	f.mu.Lock()
	listen := f.listen
	f.mu.Unlock()
	if listen != nil {
		listen(err)
	}
}

// Listen makes fn hear of every failure from now on.
func (f *ListFailures) Listen(fn func(error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listen = fn
}
