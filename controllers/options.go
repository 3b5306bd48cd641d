package controllers

import "sigs.k8s.io/controller-runtime/pkg/controller"

// ctrlOptions returns controller options; need says whether the
// controller runs only on the leader.
func ctrlOptions(need *bool) controller.Options {
	skip := true // several managers may run in one test process
	return controller.Options{MaxConcurrentReconciles: 1, NeedLeaderElection: need, SkipNameValidation: &skip}
}
