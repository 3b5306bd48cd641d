package alloc

// queue is a FIFO of addresses (as numbers).
type queue struct {
	items []uint32
	head  int
}

func (q *queue) push(u uint32) { q.items = append(q.items, u) }

func (q *queue) pop() (uint32, bool) {
	if q.head == len(q.items) {
		return 0, false
	}
	u := q.items[q.head]
	q.head++
	if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return u, true
}

// expiry is a min-heap of times at which an address may become free.
type expiry []expItem

type expItem struct {
	at   int64 // unix nanoseconds
	addr uint32
}

func (h *expiry) push(it expItem) {
	*h = append(*h, it)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *expiry) peek() (expItem, bool) {
	if len(*h) == 0 {
		return expItem{}, false
	}
	return (*h)[0], true
}

func (h *expiry) pop() expItem {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && s[l].at < s[m].at {
			m = l
		}
		if r < n && s[r].at < s[m].at {
			m = r
		}
		if m == i {
			break
		}
		s[m], s[i] = s[i], s[m]
		i = m
	}
	*h = s
	return top
}
