package decode

// UnreadableAnnotation marks a stand-in for an object that did not decode;
// its value is the decoding error. It is set on cached copies only and
// never written to the apiserver.
const UnreadableAnnotation = "dhcp.kubedhcp.io/unreadable"

// Annotated is an object with annotations, as metav1.Object is.
type Annotated interface{ GetAnnotations() map[string]string }

// Unreadable returns why a cached object is a stand-in for one that did
// not decode, or "" for an object that decoded.
func Unreadable(o Annotated) string { return o.GetAnnotations()[UnreadableAnnotation] }
