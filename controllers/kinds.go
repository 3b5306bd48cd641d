package controllers

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	dhcpv1alpha1 "github.com/kubedhcp/kubedhcp/api/v1alpha1"
	"github.com/kubedhcp/kubedhcp/controllers/decode"
)

// ConfigKinds decode Subnets, Pools and Reservations for the cache one at a
// time: one that does not decode reaches the config reconciler as a
// stand-in, which Build reports and leaves out.
var ConfigKinds = []decode.Kind{
	{Resource: "subnets", New: func() client.Object { return &dhcpv1alpha1.Subnet{} }},
	{Resource: "pools", New: func() client.Object { return &dhcpv1alpha1.Pool{} }},
	{Resource: "reservations", New: func() client.Object { return &dhcpv1alpha1.Reservation{} }},
}
