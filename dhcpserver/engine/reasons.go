package engine

// Reason says why a message got silence or a NAK. Every one is logged at
// debug level with the message's xid, client hardware address and
// interface or relay, and counted in kubedhcp_packet_reasons_total.
type Reason string

// Reasons for silence before a message is looked at.
const (
	// ReasonNotReady: the engine has not loaded its bindings or
	// configuration yet.
	ReasonNotReady Reason = "notReady"
	// ReasonNotRequest: the message is a BOOTREPLY (op 2), not a request.
	ReasonNotRequest Reason = "notRequest"
	// ReasonNoMessageType: the message has no DHCP message type (option
	// 53): a BOOTP client, which is not served.
	ReasonNoMessageType Reason = "noMessageType"
	// ReasonNoClientIdentity: neither chaddr nor a client identifier.
	ReasonNoClientIdentity Reason = "noClientIdentity"
	// ReasonUnsupportedType: a message type a server does not answer.
	ReasonUnsupportedType Reason = "unsupportedType"
)

// Reasons for silence.
const (
	// ReasonNoSubnet: no Subnet is served for the relay, the client's
	// address or the interface the message came in on.
	ReasonNoSubnet Reason = "noSubnet"
	// ReasonUnknownClient: the subnet denies clients without a
	// Reservation.
	ReasonUnknownClient Reason = "unknownClient"
	// ReasonNoFreeAddress: no address the client may have is free.
	ReasonNoFreeAddress Reason = "noFreeAddress"
	// ReasonProbeConflicts: every address tried answered a ping.
	ReasonProbeConflicts Reason = "probeConflicts"
	// ReasonOtherServer: the client chose another server.
	ReasonOtherServer Reason = "otherServer"
	// ReasonPeersClient: the client is in another replica's share (the
	// RFC 3074 hash of its client identifier or MAC), and its secs have
	// not reached the subnet's loadBalanceMaxSeconds.
	ReasonPeersClient Reason = "peersClient"
	// ReasonMalformedRequest: a REQUEST with no server identifier,
	// requested address or ciaddr.
	ReasonMalformedRequest Reason = "malformedRequest"
	// ReasonCommitInFlight: a commit for the address is under way (a
	// retransmission); the first one answers.
	ReasonCommitInFlight Reason = "commitInFlight"
	// ReasonStoreUnavailable: the Lease store could not be written or
	// read; the client retries.
	ReasonStoreUnavailable Reason = "storeUnavailable"
	// ReasonNoSpare: the Store takes no writes and this replica has no
	// spare address left that the client's pools allow.
	ReasonNoSpare Reason = "noSpareAddress"
	// ReasonNotClientsAddress: a RELEASE or DECLINE of an address the
	// client does not hold.
	ReasonNotClientsAddress Reason = "notClientsAddress"
	// ReasonWrongSource: a RELEASE or DECLINE from where its client
	// cannot be.
	ReasonWrongSource Reason = "wrongSource"
	// ReasonDeclined: a DECLINE was taken (no reply is due).
	ReasonDeclined Reason = "declined"
	// ReasonReleased: a RELEASE was taken (no reply is due).
	ReasonReleased Reason = "released"
	// ReasonUnknownLease: a client asked to keep an address this server
	// has no record of, and another server may (not authoritative).
	ReasonUnknownLease Reason = "unknownLease"
	// ReasonClientRate: the client sent more than Settings.ClientRate.
	ReasonClientRate Reason = "clientRateLimited"
	// ReasonLinkRate: more clients without a binding arrived through the
	// relay or interface than Settings.LinkRate.
	ReasonLinkRate Reason = "linkRateLimited"
	// ReasonLeasesPerMAC: clients sharing the client's hardware address
	// hold the subnet's MaxLeasesPerMAC addresses.
	ReasonLeasesPerMAC Reason = "tooManyLeasesForMAC"
)

// Reasons for a NAK (sent to the client as option 56).
const (
	// ReasonNoRequestedAddress: a REQUEST in SELECTING state without a
	// requested address.
	ReasonNoRequestedAddress Reason = "noRequestedAddress"
	// ReasonAddressNotServed: the address is not one this client may have
	// (no longer in a pool that serves it).
	ReasonAddressNotServed Reason = "addressNotServed"
	// ReasonWrongNetwork: the requested address is not on the client's
	// network (INIT-REBOOT after a move).
	ReasonWrongNetwork Reason = "wrongNetwork"
	// ReasonReservedElsewhere: the client has a Reservation for another
	// address.
	ReasonReservedElsewhere Reason = "reservedElsewhere"
	// ReasonWrongAddress: the client is bound to another address.
	ReasonWrongAddress Reason = "wrongAddress"
	// ReasonUnknownLeaseNak: as ReasonUnknownLease, but the client asked
	// this server by name or the subnet is authoritative.
	ReasonUnknownLeaseNak Reason = "unknownLease"
	// ReasonAddressHeld: another client holds the address.
	ReasonAddressHeld Reason = "addressHeld"
	// ReasonLeaseRevoked: the client's Lease was deleted.
	ReasonLeaseRevoked Reason = "leaseRevoked"
)
