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
	"github.com/magento-ops/terraform-provider-magento/internal/rootmemory"
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
	pool, roots := newPool(statsFile), rootmemory.New()
	err := providerserver.Serve(context.Background(), provider.NewWithPool(version, pool, roots), providerserver.ServeOpts{
		Address: "registry.terraform.io/magento-ops/magento",
		Debug:   debug,
	})
	shutdown(pool, roots)
	writeStats(pool, statsFile)
	if err != nil {
		log.Fatal(err.Error())
	}
}

// shutdown runs once Terraform asked the provider to stop; the CLI kills it two seconds
// later. The roots this process read (for the next run's read ahead) are saved first;
// closing the pool then signals every ProxyCommand at once and waits about a second.
func shutdown(pool *remote.Pool, roots interface{ Save() }) {
	roots.Save()
	pool.Close()
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
