// Package crd_test checks the kubedhcp CRDs on a real kube-apiserver: the
// samples are accepted, every invalid object is rejected with a message
// naming its field, and kubectl shows the columns, categories and docs.
package crd_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubedhcp/kubedhcp/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, &env)
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "crd-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return ns.Name
}

// readObjects decodes every YAML document of a file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return objs
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// wants returns the "# want: ..." lines of a test data file.
func wants(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no '# want: ' line", path)
	}
	return out
}

func create(ns string, u *unstructured.Unstructured) error {
	u.SetNamespace(ns)
	return env.Client.Create(context.Background(), u)
}

func TestSamplesAreAccepted(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "*.yaml"))
	ns := newNamespace(t)
	n := 0
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		for _, u := range readObjects(t, f) {
			t.Run(filepath.Base(f)+"/"+u.GetKind()+"/"+u.GetName(), func(t *testing.T) {
				if err := create(ns, u); err != nil {
					t.Errorf("sample rejected: %v", err)
				}
			})
			n++
		}
	}
	if n < 10 {
		t.Errorf("found %d sample objects, want at least 10", n)
	}
}

func TestEdgeCasesAreAccepted(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	ns := newNamespace(t)
	for _, f := range files {
		for _, u := range readObjects(t, f) {
			if err := create(ns, u); err != nil {
				t.Errorf("%s %s/%s rejected: %v", filepath.Base(f), u.GetKind(), u.GetName(), err)
			}
		}
	}
}

func TestSamplesApplyWithKustomize(t *testing.T) {
	ns := newNamespace(t)
	out, err := env.Kubectl("apply", "-n", ns, "-k", filepath.Join(testenv.RepoRoot(), "config", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"subnet.dhcp.kubedhcp.io/office created", "pool.dhcp.kubedhcp.io/pxe-lab-dynamic created",
		"reservation.dhcp.kubedhcp.io/office-pc01 created", "subnet.dhcp.kubedhcp.io/lab created"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply -k printed\n%s\nwant a line %q", out, want)
		}
	}
}

func TestInvalidObjectsAreRejected(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no invalid objects under testdata/invalid")
	}
	ns := newNamespace(t)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			objs := readObjects(t, f)
			if len(objs) != 1 {
				t.Fatalf("%s holds %d objects, want 1", f, len(objs))
			}
			err := create(ns, objs[0])
			if err == nil {
				t.Fatalf("accepted, want rejected")
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("got %v, want an Invalid error", err)
			}
			for _, w := range wants(t, f) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\ndoes not contain\n  %s", err, w)
				}
			}
		})
	}
}
