package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/magento-ops/terraform-provider-magento/internal/provider"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// version is set by goreleaser's ldflags.
var version = "dev"

// statsEnv names a file that receives the SSH transport's counters (connections,
// sessions, bytes) when the provider process ends; `make bench` sets it. Unset (the
// default), nothing is counted.
const statsEnv = "TF_MAGENTO_STATS_FILE"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	if !debug {
		tuneProcess()
	}

	statsFile := os.Getenv(statsEnv)
	pool, roots := newPool(statsFile), provider.NewRootMemory()
	err := providerserver.Serve(context.Background(), provider.NewWithPool(version, pool, roots), providerserver.ServeOpts{
		Address: "registry.terraform.io/magento-ops/magento",
		Debug:   debug,
	})
	// The roots first: the CLI kills the provider two seconds after asking it to stop,
	// and closing waits (once, for all at once) for ProxyCommands to exit.
	roots.Save() // once per run: the roots this process read, for the next run's read ahead
	pool.Close()
	writeStats(pool, statsFile)
	if err != nil {
		log.Fatal(err.Error())
	}
}

// newPool is the SSH connection pool; it counts what it does only for statsFile.
func newPool(statsFile string) *remote.Pool {
	if statsFile == "" {
		return remote.NewPool()
	}
	return remote.NewCountingPool()
}

// writeStats writes the pool's counters to statsFile, if any.
func writeStats(pool *remote.Pool, statsFile string) {
	if statsFile == "" || pool.Stats == nil {
		return
	}
	if b, err := json.Marshal(pool.Stats.Snapshot()); err == nil {
		_ = os.WriteFile(statsFile, b, 0o600)
	}
}
