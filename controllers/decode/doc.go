// Package decode reads kubedhcp objects from the apiserver one at a time,
// so that one stored object that does not decode (written by an older
// version, restored from a bad backup, or put straight into etcd) cannot
// stop a list or a watch of all the others. Such an object reaches the
// cache as a stand-in of its kind that carries its name, namespace,
// resourceVersion and UnreadableAnnotation, whose value says why it did
// not decode; whoever reads the cache reports it and leaves it out.
package decode
