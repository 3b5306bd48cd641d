package lease

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"time"
)

// A record is a Binding encoded in one byte slice, as the Memory store and
// the allocator keep it: the collector marks the slice without scanning
// it, where a Binding value holds sixteen pointers it must follow. With
// hundreds of thousands of bindings in memory that is the difference
// between long and short collections on a busy server.

// ErrRecord means a record does not decode.
var ErrRecord = errors.New("corrupt binding record")

// AppendRecord appends the record of b, less its Version, to dst.
// Times keep their instant and zone offset, not their monotonic reading
// or zone name.
func AppendRecord(dst []byte, b *Binding) []byte {
	dst = slices.Grow(dst, recordLen(b))
	dst = appendString(dst, b.Subnet)
	dst = appendAddr(dst, b.Addr)
	dst = appendBytes(dst, b.HWAddr)
	dst = appendBytes(dst, b.ClientID)
	dst = appendString(dst, b.Hostname)
	dst = append(dst, byte(b.State))
	dst = appendTime(dst, b.Start)
	dst = appendTime(dst, b.Renewed)
	dst = appendTime(dst, b.Expires)
	dst = appendString(dst, b.Pool)
	dst = appendString(dst, b.Reservation)
	dst = appendAddr(dst, b.Relay)
	dst = appendBytes(dst, b.CircuitID)
	dst = appendBytes(dst, b.RemoteID)
	dst = appendString(dst, b.VendorClass)
	dst = appendString(dst, b.UserClass)
	hasArch := byte(0)
	if b.HasArch {
		hasArch = 1
	}
	dst = binary.BigEndian.AppendUint16(append(dst, hasArch), b.ClientArch)
	dst = binary.AppendUvarint(dst, uint64(max(b.LeaseTime, 0)/time.Second))
	dst = appendString(dst, b.Replica)
	return appendString(dst, b.Claim)
}

// ReadRecord decodes a record written by AppendRecord; its Version is
// empty.
func ReadRecord(data []byte) (Binding, error) {
	r := recordReader{data: data}
	var b Binding
	b.Subnet = r.string()
	b.Addr = r.addr()
	b.HWAddr = net.HardwareAddr(r.bytes())
	b.ClientID = r.bytes()
	b.Hostname = r.string()
	b.State = State(r.byte())
	b.Start, b.Renewed, b.Expires = r.time(), r.time(), r.time()
	b.Pool, b.Reservation = r.string(), r.string()
	b.Relay = r.addr()
	b.CircuitID, b.RemoteID = r.bytes(), r.bytes()
	b.VendorClass, b.UserClass = r.string(), r.string()
	b.HasArch = r.byte() == 1
	b.ClientArch = uint16(r.byte())<<8 | uint16(r.byte())
	b.LeaseTime = time.Duration(r.uvarint()) * time.Second
	b.Replica, b.Claim = r.string(), r.string()
	if r.err != nil || len(r.data) != 0 {
		return Binding{}, ErrRecord
	}
	return b, nil
}

// recordLen is the length of b's record at most, so that AppendRecord
// allocates once and little more than it needs.
func recordLen(b *Binding) int {
	n := 1 + 1 + 2 + binary.MaxVarintLen64 // state, arch, lease time
	for _, v := range []int{len(b.Subnet), len(b.HWAddr) + 1, len(b.ClientID) + 1, len(b.Hostname), len(b.Pool),
		len(b.Reservation), len(b.CircuitID) + 1, len(b.RemoteID) + 1, len(b.VendorClass), len(b.UserClass), len(b.Replica), len(b.Claim)} {
		n += uvarintLen(v) + v
	}
	n += 2 * (1 + 16) // addresses, zones aside
	n += len(b.Addr.Zone()) + len(b.Relay.Zone())
	return n + 3*(1+maxTimeLen)
}

// uvarintLen is the length of v as a uvarint.
func uvarintLen(v int) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// maxTimeLen is the longest time.Time binary encoding (version 2).
const maxTimeLen = 16

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// appendBytes keeps nil and empty apart: 0 is nil, n+1 is n octets.
func appendBytes(dst, v []byte) []byte {
	if v == nil {
		return append(dst, 0)
	}
	return append(binary.AppendUvarint(dst, uint64(len(v))+1), v...)
}

func appendAddr(dst []byte, a netip.Addr) []byte {
	return appendSized(dst, a.AppendBinary)
}

func appendTime(dst []byte, t time.Time) []byte {
	out := appendSized(dst, t.AppendBinary)
	if len(out) == len(dst) { // a zone offset not in whole minutes: keep the instant
		out = appendSized(dst, t.UTC().AppendBinary)
	}
	return out
}

// appendSized appends what enc appends, after its length in one octet
// (a uvarint below 128); on an error it appends nothing.
func appendSized(dst []byte, enc func([]byte) ([]byte, error)) []byte {
	at := len(dst)
	out, err := enc(append(dst, 0))
	if err != nil || len(out)-at-1 >= 0x80 {
		return dst[:at]
	}
	out[at] = byte(len(out) - at - 1)
	return out
}

// recordReader reads a record's fields; the first fault sticks in err.
type recordReader struct {
	data []byte
	err  error
}

func (r *recordReader) take(n uint64) []byte {
	if r.err != nil || n > uint64(len(r.data)) {
		r.err = ErrRecord
		return nil
	}
	v := r.data[:n:n]
	r.data = r.data[n:]
	return v
}

func (r *recordReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	n, k := binary.Uvarint(r.data)
	if k <= 0 {
		r.err = ErrRecord
		return 0
	}
	r.data = r.data[k:]
	return n
}

func (r *recordReader) byte() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *recordReader) string() string { return string(r.take(r.uvarint())) }

func (r *recordReader) bytes() []byte {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	return append([]byte{}, r.take(n-1)...)
}

func (r *recordReader) addr() netip.Addr {
	var a netip.Addr
	if err := a.UnmarshalBinary(r.take(r.uvarint())); err != nil && r.err == nil {
		r.err = ErrRecord
	}
	return a
}

func (r *recordReader) time() time.Time {
	var t time.Time
	if err := t.UnmarshalBinary(r.take(r.uvarint())); err != nil && r.err == nil {
		r.err = ErrRecord
	}
	return t
}
