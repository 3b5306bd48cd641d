package config

import (
	"errors"
	"fmt"
)

// Kinds of object a Fault is about.
const (
	KindSubnet      = "Subnet"
	KindPool        = "Pool"
	KindReservation = "Reservation"
)

// FaultClass says what kind of rule an object broke.
type FaultClass int

// Fault classes.
const (
	// Invalid: the object cannot be served as written.
	Invalid FaultClass = iota
	// Outside: an address or range lies outside the object's subnet.
	Outside
	// Overlap: the object overlaps an older one of its kind.
	Overlap
	// Duplicate: an older reservation has the same address or identity.
	Duplicate
	// NoInterface: the subnet names an interface the server does not
	// serve on.
	NoInterface
	// SubnetLeftOut: the object's subnet is not served.
	SubnetLeftOut
	// Warning: the object is served, but the message says what a client
	// may not get as configured.
	Warning
)

// Fault is why an object was left out of a Snapshot, or, for a Warning,
// what is wrong with one that is served. Err names the field at fault, as
// spec.ranges[1]: ...
type Fault struct {
	Kind, Name string
	Class      FaultClass
	Err        error
}

func (f Fault) Error() string { return fmt.Sprintf("%s %s: %v", f.Kind, f.Name, f.Err) }

// LeftOut reports whether the object is not served.
func (f Fault) LeftOut() bool { return f.Class != Warning }

// Faults joins every fault that leaves an object out into one error, nil
// when there is none.
func Faults(fs []Fault) error {
	var errs []error
	for _, f := range fs {
		if f.LeftOut() {
			errs = append(errs, f)
		}
	}
	return errors.Join(errs...)
}

// faults collects Faults while a Snapshot is assembled.
type faults []Fault

func (fs *faults) add(kind, name string, class FaultClass, format string, args ...any) {
	*fs = append(*fs, Fault{Kind: kind, Name: name, Class: class, Err: fmt.Errorf(format, args...)})
}

func (fs *faults) wrap(kind, name string, class FaultClass, err error) {
	*fs = append(*fs, Fault{Kind: kind, Name: name, Class: class, Err: err})
}
