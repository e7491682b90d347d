package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// plainSample bounds the installs the plain OpenSSH way visits in a run: at 1000 installs
// it would take over ten minutes a run. Larger fleets are timed on their first
// plainSample installs and scaled (it is one ssh per install, 10 at a time: linear).
const plainSample = 100

func sshArgs(h endpoint) []string {
	return []string{"-i", h.key, "-p", strconv.Itoa(h.port), "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + h.knownHosts,
		"-o", "StrictHostKeyChecking=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none", testenv.TestUser + "@127.0.0.1"}
}

// plainOpenSSH is what operators script: one ssh per install, booting PHP for
// bin/magento and Composer, 10 at a time (Terraform's default parallelism). It visits
// at most plainSample installs; timePlain scales the time to the whole fleet.
func (s *scenario) plainOpenSSH() error {
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	errs := make(chan error, len(s.roots))
	for i, root := range s.roots[:min(len(s.roots), plainSample)] {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cmd := "cd " + shell.Quote(root) + " && php bin/magento --version && COMPOSER_ALLOW_SUPERUSER=1 composer show --no-interaction magento/data-migration-tool"
			if out, err := exec.Command("ssh", append(sshArgs(s.host(i)), cmd)...).CombinedOutput(); err != nil {
				errs <- fmt.Errorf("plain ssh: %v %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// floor is one OpenSSH connection per host that reads just the needed bytes of all its
// installs.
func (s *scenario) floor() error {
	var wg sync.WaitGroup
	errs := make(chan error, len(s.endpoints))
	for hi, h := range s.endpoints {
		var script strings.Builder
		for i, root := range s.roots {
			if i%len(s.endpoints) == hi {
				fmt.Fprintf(&script, "grep -E -A1 '\"name\": \"magento/(product-community-edition|data-migration-tool)\"' %s %s;",
					shell.Quote(root+"/composer.lock"), shell.Quote(root+"/vendor/composer/installed.json"))
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := exec.Command("ssh", append(sshArgs(h), script.String())...).CombinedOutput(); err != nil {
				errs <- fmt.Errorf("floor ssh: %v %s", err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// timePlain times the plain OpenSSH way over the fleet (scaled from its sample).
func (s *scenario) timePlain() time.Duration {
	elapsed := timed(s.plainOpenSSH)
	if len(s.roots) > plainSample {
		elapsed = elapsed * time.Duration(len(s.roots)) / plainSample
	}
	return elapsed
}
