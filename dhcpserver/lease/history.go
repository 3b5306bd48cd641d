package lease

import (
	"context"
	"net/netip"

	"github.com/go-logr/logr"
)

// History events: what happened to a binding, as one log line says it.
const (
	EventBound     = "bound"     // a client got an address (a new binding, or a new address)
	EventRenewed   = "renewed"   // a client's binding was written again
	EventReleased  = "released"  // the client gave the address back (DHCPRELEASE), or left it for another
	EventDeclined  = "declined"  // a client found the address in use (DHCPDECLINE), or a probe was answered
	EventExpired   = "expired"   // the client did not renew in time
	EventRevoked   = "revoked"   // the Lease of an active binding was deleted (by hand)
	EventClaimed   = "claimed"   // an address claim (Cluster API) got the address
	EventUnclaimed = "unclaimed" // an address claim gave the address back
)

// WithHistory returns s with every binding change it stores logged to
// log as one structured line (message "binding", key "event"): the
// forensic log of who had which address when, as Kea's legal log keeps
// it. Spare addresses, which no client holds, are not logged.
func WithHistory(s Store, log logr.Logger) Store {
	return &historyStore{Store: s, log: log}
}

type historyStore struct {
	Store
	log logr.Logger
}

func (h *historyStore) Commit(ctx context.Context, b Binding) (Binding, error) {
	nb, err := h.Store.Commit(ctx, b)
	if err == nil {
		LogChange(h.log, commitEvent(&b), &nb)
	}
	return nb, err
}

func (h *historyStore) Release(ctx context.Context, b Binding) (Binding, error) {
	nb, err := h.Store.Release(ctx, b)
	if err == nil {
		LogChange(h.log, EventReleased, &nb)
	}
	return nb, err
}

func (h *historyStore) Delete(ctx context.Context, b Binding) error {
	err := h.Store.Delete(ctx, b)
	if err == nil && b.State == Claimed {
		LogChange(h.log, EventUnclaimed, &b)
	}
	return err
}

// commitEvent names the change a commit of b makes.
func commitEvent(b *Binding) string {
	switch b.State {
	case Bound:
		// A new binding starts as it is written; a renewal keeps its start.
		if b.Start.Equal(b.Renewed) {
			return EventBound
		}
		return EventRenewed
	case Released:
		return EventReleased
	case Declined:
		return EventDeclined
	case Expired:
		return EventExpired
	case Claimed:
		return EventClaimed
	}
	return ""
}

// LogChange logs one binding change, event, of b; nothing for an empty
// event or a spare.
func LogChange(log logr.Logger, event string, b *Binding) {
	if event == "" || b.State == Spare {
		return
	}
	kv := []any{"event", event, "subnet", b.Subnet, "ip", b.Addr.String(), "state", b.State.String()}
	if len(b.HWAddr) > 0 {
		kv = append(kv, "mac", b.HWAddr.String())
	}
	if len(b.ClientID) > 0 {
		kv = append(kv, "clientID", hexString(b.ClientID))
	}
	if b.Claim != "" {
		kv = append(kv, "claim", b.Claim)
	}
	if b.Hostname != "" {
		kv = append(kv, "hostname", b.Hostname)
	}
	if b.Relay.IsValid() && b.Relay != netip.IPv4Unspecified() {
		kv = append(kv, "relay", b.Relay.String())
	}
	if len(b.CircuitID) > 0 {
		kv = append(kv, "circuitID", hexString(b.CircuitID))
	}
	if b.Reservation != "" {
		kv = append(kv, "reservation", b.Reservation)
	}
	if b.Pool != "" {
		kv = append(kv, "pool", b.Pool)
	}
	if !b.Expires.IsZero() {
		kv = append(kv, "expires", b.Expires.UTC().Format("2006-01-02T15:04:05Z"))
	}
	log.Info("binding", kv...)
}

// hexString writes octets as hex separated by colons, as Lease objects do.
func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}
