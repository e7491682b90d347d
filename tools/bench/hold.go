package main

import (
	"fmt"
	"os"
	"os/signal"
)

// holdForHand prints how to plan each scenario by hand and waits for Ctrl-C, leaving
// the hosts up: for profiling one row without the bench's timing around it.
func holdForHand(scenarios []*scenario, terraform string, env []string) error {
	fmt.Println("set up; plan a scenario by hand with:")
	for _, s := range scenarios {
		fmt.Printf("  # %s\n  cd %s && env", s.name, s.tfDir)
		for _, e := range env {
			fmt.Printf(" %q", e)
		}
		fmt.Printf(" %s plan\n", terraform)
	}
	fmt.Println("Ctrl-C stops the hosts.")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	return nil
}
