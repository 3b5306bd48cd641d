package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// User is the nonroot user and group the manager runs as (distroless's).
const User = "65532:65532"

// Capabilities are the file capabilities of the binary: port 67
// (CAP_NET_BIND_SERVICE, 10) and raw sockets (CAP_NET_RAW, 13), permitted
// and effective, as `setcap cap_net_bind_service,cap_net_raw+ep` sets.
var Capabilities = []int{10, 13}

// CapabilityXattr is the security.capability extended attribute of
// Capabilities: struct vfs_cap_data, revision 2, little endian.
func CapabilityXattr(caps []int) []byte {
	const revision2, effective = 0x02000000, 0x000001
	var permitted uint64
	for _, c := range caps {
		permitted |= 1 << c
	}
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], revision2|effective)
	binary.LittleEndian.PutUint32(b[4:], uint32(permitted))
	binary.LittleEndian.PutUint32(b[12:], uint32(permitted>>32))
	return b
}

// epoch is every file's time and the image's creation time: the same
// binary gives the same image. It is $SOURCE_DATE_EPOCH (seconds, as
// reproducible builds set it; make image and the release workflow pass the
// commit's time), else 1970-01-01.
var epoch = sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))

func sourceDateEpoch(v string) time.Time {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0).UTC()
	}
	return time.Unix(0, 0).UTC()
}

// buildIndex builds one image per platform=binary and an index of them.
func buildIndex(binaries []string, version string) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pb := range binaries {
		platform, path, ok := strings.Cut(pb, "=")
		osName, arch, ok2 := strings.Cut(platform, "/")
		if !ok || !ok2 {
			return nil, fmt.Errorf("-binary %q: want os/arch=path", pb)
		}
		img, err := buildImage(path, osName, arch, version)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: osName, Architecture: arch}}})
	}
	return idx, nil
}

// goarchOf names the ELF machine as GOARCH does.
var goarchOf = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm",
	elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64"}

// checkStatic refuses a binary the image cannot run: not an ELF
// executable of arch, or dynamically linked (an image without a base has
// no dynamic loader: build with CGO_ENABLED=0).
func checkStatic(path string, bin []byte, arch string) error {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return fmt.Errorf("%s: not an ELF executable: %w", path, err)
	}
	if got := goarchOf[f.Machine]; got != arch {
		return fmt.Errorf("%s: built for %s (%s), not %s", path, got, f.Machine, arch)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s: dynamically linked, and the image has no dynamic loader: build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}

// buildImage is the image of one static binary.
func buildImage(path, osName, arch, version string) (v1.Image, error) {
	bin, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkStatic(path, bin, arch); err != nil {
		return nil, err
	}
	layerTar, err := layerOf(bin)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = osName, arch, v1.Time{Time: epoch}
	cf.Config.Entrypoint = []string{"/kubedhcp"}
	cf.Config.User = User
	cf.Config.Env = []string{"PATH=/"}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":    "kubedhcp",
		"org.opencontainers.image.source":   "https://github.com/kubedhcp/kubedhcp",
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	return mutate.ConfigFile(img, cf)
}

// layerOf is the one layer: /etc/passwd and /etc/group naming the nonroot
// user, and /kubedhcp, owned by root, executable, with its capabilities.
func layerOf(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name  string
		mode  int64
		data  []byte
		xattr map[string]string
	}{
		{"etc/", 0o755, nil, nil},
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"), nil},
		{"etc/group", 0o644, []byte("root:x:0:\nnonroot:x:65532:\n"), nil},
		{"kubedhcp", 0o755, bin, map[string]string{"SCHILY.xattr.security.capability": string(CapabilityXattr(Capabilities))}},
	}
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch, Typeflag: tar.TypeReg,
			Format: tar.FormatPAX, PAXRecords: f.xattr}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
