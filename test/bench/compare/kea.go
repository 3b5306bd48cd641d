package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// keaServer runs kea-dhcp4 with the bench subnet and a memfile (persist)
// or PostgreSQL lease database, with fresh leases for every run.
type keaServer struct {
	db   string // memfile or postgresql
	dir  string
	pg   *postgres
	cmd  *exec.Cmd
	conf string
}

func (k *keaServer) Name() string {
	if k.db == "postgresql" {
		return "kea-pgsql"
	}
	return "kea-memfile"
}

func (k *keaServer) Comms() []string {
	if k.db == "postgresql" {
		return []string{"kea-dhcp4", "postgres"}
	}
	return []string{"kea-dhcp4"}
}

func (k *keaServer) Setup() error {
	var err error
	if k.dir, err = os.MkdirTemp("", "kubedhcp-bench-kea-"); err != nil {
		return err
	}
	if k.db == "postgresql" {
		k.pg, err = startPostgres()
		if err != nil {
			return err
		}
		if err := k.pg.keaDatabase(); err != nil {
			return err
		}
	}
	return nil
}

// config is kea-dhcp4's configuration: the same subnet, pool and lease
// time as kubedhcp's, on the server end of the veth, over UDP sockets
// (the clients are relayed).
func (k *keaServer) config() map[string]any {
	db := map[string]any{"type": "memfile", "persist": true, "name": filepath.Join(k.dir, "leases4.csv"), "lfc-interval": 0}
	if k.db == "postgresql" {
		db = map[string]any{"type": "postgresql", "name": "kea", "user": "kea", "password": "kea", "host": "127.0.0.1", "port": pgPort}
	}
	return map[string]any{"Dhcp4": map[string]any{
		"interfaces-config": map[string]any{"interfaces": []string{serverIf}, "dhcp-socket-type": "udp"},
		"lease-database":    db,
		"valid-lifetime":    int(benchLease.Seconds()),
		"subnet4": []any{map[string]any{"id": 1, "subnet": benchCIDR,
			"pools": []any{map[string]any{"pool": poolFirst + " - " + poolLast}}}},
		"loggers": []any{map[string]any{"name": "kea-dhcp4", "severity": "WARN",
			"output_options": []any{map[string]any{"output": filepath.Join(k.dir, "kea.log")}}}},
	}}
}

// Start empties the lease database and starts kea-dhcp4; it returns once
// port 67 is open.
func (k *keaServer) Start() error {
	if k.db == "postgresql" {
		if err := k.pg.psql("kea", "TRUNCATE lease4"); err != nil {
			return err
		}
	} else {
		for _, f := range []string{"leases4.csv", "leases4.csv.2"} {
			_ = os.Remove(filepath.Join(k.dir, f))
		}
	}
	b, _ := json.Marshal(k.config())
	k.conf = filepath.Join(k.dir, "kea-dhcp4.json")
	if err := os.WriteFile(k.conf, b, 0o644); err != nil {
		return err
	}
	k.cmd = exec.Command("kea-dhcp4", "-c", k.conf)
	k.cmd.Env = append(os.Environ(), "KEA_PIDFILE_DIR="+k.dir, "KEA_LOCKFILE_DIR="+k.dir)
	out, err := os.Create(filepath.Join(k.dir, "kea.out"))
	if err != nil {
		return err
	}
	defer func() { _ = out.Close() }()
	k.cmd.Stdout, k.cmd.Stderr = out, out
	if err := k.cmd.Start(); err != nil {
		return err
	}
	if err := waitPort67(10 * time.Second); err != nil {
		_ = k.Stop()
		log, _ := os.ReadFile(filepath.Join(k.dir, "kea.out"))
		return fmt.Errorf("kea-dhcp4: %w\n%s", err, log)
	}
	return nil
}

func (k *keaServer) Stop() error {
	if k.cmd == nil {
		return nil
	}
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	_ = k.cmd.Wait()
	k.cmd = nil
	return nil
}

func (k *keaServer) Teardown() {
	if k.pg != nil {
		k.pg.stop()
	}
	_ = os.RemoveAll(k.dir)
}

// waitPort67 waits until a UDP socket is bound to port 67 in this network
// namespace.
func waitPort67(within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile("/proc/net/udp")
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) > 1 && strings.HasSuffix(f[1], ":0043") {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listened on port 67 within %s", within)
}

const pgPort = 5499

// postgres is a throw-away PostgreSQL cluster on 127.0.0.1 of the server
// namespace, with the default durability: fsync and synchronous_commit on.
type postgres struct {
	dir string
	cmd *exec.Cmd
}

func pgBin(name string) string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		return name
	}
	return matches[len(matches)-1]
}

func startPostgres() (*postgres, error) {
	dir, err := os.MkdirTemp("", "kubedhcp-bench-pg-")
	if err != nil {
		return nil, err
	}
	p := &postgres{dir: dir}
	if err := run("chown", "postgres:postgres", dir); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := run("runuser", "-u", "postgres", "--", pgBin("initdb"), "-D", data, "-A", "trust", "-U", "postgres"); err != nil {
		return nil, err
	}
	p.cmd = exec.Command("runuser", "-u", "postgres", "--", pgBin("postgres"), "-D", data, "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-p", fmt.Sprint(pgPort), "-c", "synchronous_commit=on", "-c", "fsync=on")
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	defer func() { _ = logf.Close() }()
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for run(pgBin("pg_isready"), "-h", "127.0.0.1", "-p", fmt.Sprint(pgPort)) != nil {
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("postgres did not start; see %s", logf.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p, nil
}

// keaDatabase creates the kea user and database and Kea's schema.
func (p *postgres) keaDatabase() error {
	if err := p.psql("postgres", "CREATE USER kea PASSWORD 'kea'"); err != nil {
		return err
	}
	if err := p.psql("postgres", "CREATE DATABASE kea OWNER kea"); err != nil {
		return err
	}
	return run("kea-admin", "db-init", "pgsql", "-h", "127.0.0.1", "-P", fmt.Sprint(pgPort), "-u", "kea", "-p", "kea", "-n", "kea")
}

func (p *postgres) psql(db, sql string) error {
	return run("psql", "-h", "127.0.0.1", "-p", fmt.Sprint(pgPort), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql)
}

func (p *postgres) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = run("runuser", "-u", "postgres", "--", pgBin("pg_ctl"), "stop", "-D", filepath.Join(p.dir, "data"), "-m", "fast")
		_ = p.cmd.Wait()
	}
	_ = os.RemoveAll(p.dir)
}
