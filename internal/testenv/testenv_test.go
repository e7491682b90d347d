package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepoInstallsRootsOffline(t *testing.T) {
	repo := NewRepo(t)
	root := repo.NewRoot(t, filepath.Join(t.TempDir(), "shop"), RootSpec{Magento: "2.4.7-p3", DMT: "2.4.6", Composer1: true})
	lock, err := os.ReadFile(filepath.Join(root, "composer.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "magento/product-community-edition"`, `"version": "2.4.7-p3"`, `"name": "magento/data-migration-tool"`} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("composer.lock lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "vendor/magento/data-migration-tool/etc/opensource-to-opensource/1.9.4.5/map.xml.dist")); err != nil {
		t.Errorf("the tool's files were not installed: %v", err)
	}
	installed, _ := os.ReadFile(filepath.Join(root, "vendor/composer/installed.json"))
	if !strings.HasPrefix(strings.TrimSpace(string(installed)), "[") {
		t.Errorf("Composer 1 installed.json should be a bare array, got %.40q", installed)
	}
}

func TestSSHDAcceptsTheClientKey(t *testing.T) {
	s := StartSSHD(t, SSHDOptions{})
	out := run(t, nil, "", "ssh", "-i", s.ClientKey, "-o", "UserKnownHostsFile="+s.KnownHosts,
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-p", itoa(s.Port), "root@127.0.0.1", "echo hello-from-sshd")
	if strings.TrimSpace(out) != "hello-from-sshd" {
		t.Fatalf("unexpected output %q", out)
	}
}
