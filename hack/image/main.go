// Command image builds the kubedhcp container image without a Docker
// engine and without pulling a base image: one layer holding the static
// binary (with its file capabilities kept as an xattr) and /etc/passwd
// naming the nonroot user, a config running it as that user, written as
// an OCI image layout archive that `podman load` and `ctr images import`
// read. With -push it pushes a multi-architecture index instead.
//
//	go run . -binary linux/amd64=../../bin/kubedhcp-linux-amd64 -out ../../bin/kubedhcp-image.tar -tag v0.1.0
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	var binaries multiFlag
	flag.Var(&binaries, "binary", "platform=path of a static kubedhcp binary, such as linux/amd64=bin/kubedhcp-linux-amd64; repeat for each platform")
	out := flag.String("out", "", "write an OCI image layout archive (tar) here")
	tag := flag.String("tag", "dev", "image version (the org.opencontainers.image.version label, and the tag in the archive)")
	repo := flag.String("repository", "ghcr.io/kubedhcp/kubedhcp", "image repository")
	push := flag.Bool("push", false, "push repository:tag (an index of every platform) instead of writing an archive; credentials from the Docker config")
	flag.Parse()
	if len(binaries) == 0 || (*out == "") == !*push {
		fmt.Fprintln(os.Stderr, "image: need -binary, and exactly one of -out or -push")
		flag.Usage()
		os.Exit(2)
	}
	idx, err := buildIndex(binaries, *tag)
	if err == nil {
		ref := *repo + ":" + *tag
		if *push {
			err = pushIndex(ref, idx)
		} else {
			err = writeArchive(*out, ref, idx)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
