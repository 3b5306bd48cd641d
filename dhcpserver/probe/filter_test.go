package probe

import (
	"encoding/binary"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kubedhcp/kubedhcp/test/netns"
)

// The probe's packet socket is handed only IPv4 UDP datagrams to port 68:
// datagrams to other ports sent before one to port 68 never reach it.
func TestProbeSocketTakesOnlyDatagramsToPort68(t *testing.T) {
	netns.RequireRoot(t)
	ns := netns.New(t, "kpf")
	ns.Run("ip", "link", "add", "br0", "type", "bridge")
	ns.Run("ip", "addr", "add", "10.78.0.1/24", "dev", "br0")
	ns.Run("ip", "link", "set", "br0", "up")
	var fd int
	err := ns.Do(func() error {
		var err error
		if fd, err = listen("br0"); err != nil {
			return err
		}
		c, err := net.ListenPacket("udp4", "10.78.0.1:0")
		if err != nil {
			return err
		}
		defer func() { _ = c.Close() }()
		for _, port := range []int{9999, 67, 69, 68} {
			if _, err := c.WriteTo([]byte{byte(port)}, &net.UDPAddr{IP: net.IPv4(10, 78, 0, 255), Port: port}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unix.Close(fd) }()
	tv := unix.NsecToTimeval(int64(2e9))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf := make([]byte, 2048)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		t.Fatalf("nothing received: %v", err)
	}
	if ihl := int(buf[0]&0x0f) * 4; n < ihl+8 || buf[9] != unix.IPPROTO_UDP || binary.BigEndian.Uint16(buf[ihl+2:]) != 68 {
		t.Fatalf("first datagram handed to the probe: % x, want the one to port 68", buf[:n])
	}
}
