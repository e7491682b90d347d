//go:build !benchfloor

package provider

// readReturnsPriorState is true only in the bench's floor build (read_floor_bench.go).
const readReturnsPriorState = false
