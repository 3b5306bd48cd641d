package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// profiles are the headlines of the profiles taken, for the report.
var profiles []string

// profileUnder runs perfdhcp at 80% of rate against a fresh k and takes a
// CPU profile and the allocations of kubedhcp meanwhile, and with the
// Lease store a CPU profile of kube-apiserver too. The files go to o.out;
// their headlines to the report.
func profileUnder(k *kubedhcpServer, rate int, o opts) error {
	rate = rate * 4 / 5
	if err := k.Start(); err != nil {
		return err
	}
	defer func() { _ = k.Stop() }()
	say("%s: profiling at %d DORA/s", k.Name(), rate)
	done := make(chan error, 1)
	go func() {
		_, err := perfdhcp(rate, 0, o.duration+3*time.Second)
		done <- err
	}()
	time.Sleep(time.Second)
	base := "http://" + pprofAddr + "/debug/pprof/"
	prefix := filepath.Join(o.out, k.Name())
	if err := get(base+"allocs", prefix+"-allocs-before.pprof"); err != nil {
		return err
	}
	apiserver := make(chan error, 1)
	if k.store == "kubernetes" {
		go func() {
			apiserver <- rawTo(k, fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(o.duration.Seconds())), prefix+"-apiserver-cpu.pprof")
		}()
	} else {
		apiserver <- nil
	}
	if err := get(fmt.Sprintf("%sprofile?seconds=%d", base, int(o.duration.Seconds())), prefix+"-cpu.pprof"); err != nil {
		return err
	}
	if err := get(base+"allocs", prefix+"-allocs.pprof"); err != nil {
		return err
	}
	if err := <-apiserver; err != nil {
		return err
	}
	if err := <-done; err != nil {
		return err
	}
	head := fmt.Sprintf("\nProfile of %s at %d DORA/s offered (%s; files in %s):\n", k.Name(), rate, o.duration, o.out)
	head += headline("CPU, cumulative", "-top", "-cum", prefix+"-cpu.pprof")
	head += headline("CPU, flat", "-top", prefix+"-cpu.pprof")
	head += headline("allocations (objects) during the run", "-top", "-sample_index=alloc_objects", "-base", prefix+"-allocs-before.pprof", prefix+"-allocs.pprof")
	if k.store == "kubernetes" {
		head += headline("kube-apiserver CPU, cumulative", "-top", "-cum", prefix+"-apiserver-cpu.pprof")
	}
	profiles = append(profiles, head)
	return nil
}

// rawTo saves an apiserver path (read as the administrator) to a file.
func rawTo(k *kubedhcpServer, path, file string) error {
	out, err := exec.Command(filepath.Join(k.env.Assets, "kubectl"), "--kubeconfig", k.env.Kubeconfig, "get", "--raw", path).Output()
	if err != nil {
		return fmt.Errorf("kubectl get --raw %s: %w", path, err)
	}
	return os.WriteFile(file, out, 0o644)
}

// headline is the first lines of `go tool pprof` args.
func headline(title string, args ...string) string {
	out, err := exec.Command("go", append([]string{"tool", "pprof", "-nodecount=14"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("  %s: go tool pprof: %v\n", title, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %s:\n", title)
	lines := strings.Split(string(out), "\n")
	started := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "flat") {
			started = true
		}
		if started && l != "" || strings.HasPrefix(l, "Showing nodes") {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}
