// The sandbox ("pause") process of every Pod on the real node: it holds the Pod's
// namespaces open, reaps the zombies of processes re-parented to it (it is PID 1 when the
// Pod shares its PID namespace) and exits on SIGINT or SIGTERM. Built static
// (CGO_ENABLED=0) so that its image needs no other file.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
