// Package image_test builds the image as make image does (hack/image, no
// Docker, no base image) and inspects the archive with the standard
// library only: an OCI layout whose index names the image, a config that
// runs /kubedhcp as the nonroot user, and a layer whose binary keeps its
// file capabilities and runs.
package image_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubedhcp/kubedhcp/test/netns"
	"github.com/kubedhcp/kubedhcp/test/testenv"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform"`
}

func TestImageArchive(t *testing.T) {
	root := testenv.RepoRoot()
	dir := t.TempDir()
	bin := filepath.Join(dir, "kubedhcp")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/kubedhcp")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0") // static, as make image builds it
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	archive := filepath.Join(dir, "image.tar")
	mk := exec.Command("go", "run", ".", "-tag", "v9.9.9", "-out", archive, "-binary", "linux/"+runtime.GOARCH+"="+bin)
	mk.Dir, mk.Env = filepath.Join(root, "hack", "image"), append(os.Environ(), "SOURCE_DATE_EPOCH=1764633600") // 2025-12-02
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("hack/image: %v\n%s", err, out)
	}
	files := readTar(t, archive)
	var index struct{ Manifests []descriptor }
	mustJSON(t, files["index.json"], &index)
	if len(index.Manifests) != 1 || index.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "ghcr.io/kubedhcp/kubedhcp:v9.9.9" ||
		index.Manifests[0].Platform == nil || index.Manifests[0].Platform.Architecture != runtime.GOARCH {
		t.Fatalf("index.json: %s", files["index.json"])
	}
	var manifest struct {
		Config descriptor
		Layers []descriptor
	}
	mustJSON(t, blob(t, files, index.Manifests[0].Digest), &manifest)
	var config struct {
		Architecture string
		OS           string
		Created      string
		Config       struct {
			Entrypoint []string
			User       string
			Labels     map[string]string
		}
	}
	mustJSON(t, blob(t, files, manifest.Config.Digest), &config)
	if strings.Join(config.Config.Entrypoint, " ") != "/kubedhcp" || config.Config.User != "65532:65532" || config.OS != "linux" ||
		config.Created != "2025-12-02T00:00:00Z" ||
		config.Config.Labels["org.opencontainers.image.version"] != "v9.9.9" {
		t.Fatalf("config: %+v", config)
	}
	if len(manifest.Layers) != 1 {
		t.Fatalf("%d layers, want 1", len(manifest.Layers))
	}
	checkLayer(t, blob(t, files, manifest.Layers[0].Digest), dir)
	t.Logf("image: entrypoint /kubedhcp, user 65532:65532, one layer of %d bytes, /kubedhcp with cap_net_bind_service,cap_net_raw+ep",
		len(blob(t, files, manifest.Layers[0].Digest)))
	t.Run("podman load", func(t *testing.T) { podmanLoad(t, archive) })
	t.Run("ctr images import", func(t *testing.T) { ctrImport(t, archive) })
}

// ctrImport starts a containerd of its own (sockets and storage under the
// test's directory, no CRI), imports the archive with ctr, and runs the
// image's /kubedhcp -h with runc.
func ctrImport(t *testing.T, archive string) {
	netns.RequireRootFor(t, "running containerd")
	run(t, ".", filepath.Join(testenv.RepoRoot(), "hack", "install-clients.sh"), "containerd")
	dir := t.TempDir()
	sock := filepath.Join(dir, "containerd.sock")
	conf := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"+
		"[grpc]\n  address = %q\n[ttrpc]\n  address = %q\n", filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock,
		filepath.Join(dir, "ttrpc.sock"))
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command("containerd", "--config", filepath.Join(dir, "config.toml"))
	var log bytes.Buffer
	daemon.Stdout, daemon.Stderr = &log, &log
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = daemon.Process.Kill(); _ = daemon.Wait() })
	ctr := func(args ...string) (string, error) {
		out, err := exec.Command("ctr", append([]string{"--address", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, err := ctr("version"); err != nil; _, err = ctr("version") {
		if time.Now().After(deadline) {
			t.Fatalf("containerd not up: %v\n%s", err, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, err := ctr("images", "import", archive); err != nil || !strings.Contains(out, "unpacking ghcr.io/kubedhcp/kubedhcp:v9.9.9") {
		t.Fatalf("ctr images import: %v\n%s", err, out)
	}
	out, err := ctr("run", "--rm", "ghcr.io/kubedhcp/kubedhcp:v9.9.9", "kubedhcp-image-test", "/kubedhcp", "-h")
	if err != nil || !strings.Contains(out, "-binding-log") {
		t.Fatalf("ctr run /kubedhcp -h: %v\n%s", err, out)
	}
	t.Logf("ctr images import: unpacked, and ctr run printed the flags (%d lines)", strings.Count(out, "\n"))
}

// podmanLoad loads the archive with podman (from Debian, into storage of
// its own under the test's directory) and checks what podman made of it:
// the name, the user and entrypoint, and the binary on disk with its
// capability attribute. Needs root, which CI has.
func podmanLoad(t *testing.T, archive string) {
	netns.RequireRootFor(t, "podman load")
	run(t, ".", filepath.Join(testenv.RepoRoot(), "hack", "install-clients.sh"), "podman")
	store := t.TempDir()
	podman := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("podman", append([]string{"--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "run"),
			"--storage-driver", "vfs"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out := podman("load", "-i", archive); !strings.Contains(out, "Loaded image: ghcr.io/kubedhcp/kubedhcp:v9.9.9") {
		t.Fatalf("podman load said\n%s", out)
	}
	got := podman("image", "inspect", "--format", "{{.Config.User}} {{.Config.Entrypoint}} {{.Os}}/{{.Architecture}}", "ghcr.io/kubedhcp/kubedhcp:v9.9.9")
	if want := "65532:65532 [/kubedhcp] linux/" + runtime.GOARCH; got != want {
		t.Fatalf("podman image inspect: %q, want %q", got, want)
	}
	bins, _ := filepath.Glob(filepath.Join(store, "root", "vfs", "dir", "*", "kubedhcp"))
	if len(bins) != 1 {
		t.Fatalf("podman's storage holds %v, want one /kubedhcp", bins)
	}
	x := make([]byte, 64)
	n, err := unix.Getxattr(bins[0], "security.capability", x)
	if err != nil {
		t.Fatalf("the loaded /kubedhcp has no capability attribute: %v", err)
	}
	checkCaps(t, x[:n])
	t.Logf("podman load: %s, %s, /kubedhcp kept cap_net_bind_service,cap_net_raw+ep", "ghcr.io/kubedhcp/kubedhcp:v9.9.9", got)
}

// checkLayer checks the layer's binary: root-owned, executable, with the
// security.capability xattr of cap_net_bind_service,cap_net_raw+ep, and
// that it runs; /etc/passwd names the nonroot user.
func checkLayer(t *testing.T, layer []byte, dir string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(layer)) // media type ...tar+gzip
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[h.Name] = true
		data, _ := io.ReadAll(tr)
		switch h.Name {
		case "etc/passwd":
			if !strings.Contains(string(data), "nonroot:x:65532:65532:") {
				t.Errorf("/etc/passwd: %s", data)
			}
		case "kubedhcp":
			if h.Mode&0o111 == 0 || h.Uid != 0 {
				t.Errorf("/kubedhcp mode %o uid %d", h.Mode, h.Uid)
			}
			checkCaps(t, []byte(h.PAXRecords["SCHILY.xattr.security.capability"]))
			out := filepath.Join(dir, "from-layer")
			if err := os.WriteFile(out, data, 0o755); err != nil {
				t.Fatal(err)
			}
			if msg, err := exec.Command(out, "-h").CombinedOutput(); err != nil || !strings.Contains(string(msg), "-ipam") {
				t.Errorf("the layer's binary -h: %v\n%.300s", err, msg)
			}
		}
	}
	if !seen["kubedhcp"] || !seen["etc/passwd"] {
		t.Fatalf("layer holds %v", seen)
	}
}

// checkCaps decodes struct vfs_cap_data: revision 2, effective, and
// permitted CAP_NET_BIND_SERVICE (10) and CAP_NET_RAW (13) only.
func checkCaps(t *testing.T, x []byte) {
	t.Helper()
	if len(x) != 20 {
		t.Fatalf("security.capability is %d bytes, want 20 (vfs_cap_data revision 2)", len(x))
	}
	magic, permitted := binary.LittleEndian.Uint32(x), binary.LittleEndian.Uint32(x[4:])
	if magic != 0x02000001 || permitted != 1<<10|1<<13 || binary.LittleEndian.Uint32(x[8:]) != 0 {
		t.Errorf("security.capability magic %#x permitted %#x, want 0x2000001 and net_bind_service|net_raw", magic, permitted)
	}
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func readTar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out[h.Name], _ = io.ReadAll(tr)
		}
	}
}

func blob(t *testing.T, files map[string][]byte, digest string) []byte {
	t.Helper()
	b, ok := files["blobs/"+strings.Replace(digest, ":", "/", 1)]
	if !ok {
		t.Fatalf("no blob %s in the archive", digest)
	}
	return b
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}

// An image without a base has no dynamic loader: hack/image refuses a
// dynamically linked binary (here /bin/true) and one of another
// architecture, saying why.
func TestImageRefusesBinariesItCannotRun(t *testing.T) {
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	for platform, want := range map[string]string{"linux/" + runtime.GOARCH: "dynamically linked", "linux/" + other: "not " + other} {
		cmd := exec.Command("go", "run", ".", "-tag", "v9.9.9", "-out", filepath.Join(t.TempDir(), "x.tar"), "-binary", platform+"=/bin/true")
		cmd.Dir = filepath.Join(testenv.RepoRoot(), "hack", "image")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("image of /bin/true as %s: %v\n%s\nwant an error saying %q", platform, err, out, want)
		}
	}
}
