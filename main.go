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
// sessions, bytes) when the provider process ends; `make bench` uses it.
const statsEnv = "TF_MAGENTO_STATS_FILE"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	if !debug {
		provider.TuneProcess() // in debug mode the logs go to the developer's terminal
	}

	pool := remote.NewPool()
	err := providerserver.Serve(context.Background(), provider.NewWithPool(version, pool), providerserver.ServeOpts{
		Address: "registry.terraform.io/magento-ops/magento",
		Debug:   debug,
	})
	pool.Close()
	if path := os.Getenv(statsEnv); path != "" {
		if b, jerr := json.Marshal(pool.Stats.Snapshot()); jerr == nil {
			_ = os.WriteFile(path, b, 0o600)
		}
	}
	if err != nil {
		log.Fatal(err.Error())
	}
}
