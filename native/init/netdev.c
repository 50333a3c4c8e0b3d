/*
 * The container's network namespace from the inside: the loopback interface up (runc does it for
 * every new network namespace), and the devices of linux.netDevices (section
 * OCIRT_SECTION_NET_DEVICES), which the runtime moved in (and renamed) before "go": their
 * permanent global addresses, lost by the move, put back, and the devices set up, as the
 * runtime-spec asks. rtnetlink requests, each acknowledged.
 */
#include "init.h"

#include <errno.h>
#include <linux/if.h>
#include <stdio.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct net_addr {
  uint32_t family, prefixlen, flags, scope;
  uint8_t addr[16];
};
struct net_device {
  const char *name;
  uint32_t naddrs;
  struct net_addr *addrs;
};
static struct net_device *devices;
static uint32_t ndevices;

void decode_net_devices(struct rd *r) {
  ndevices = rd_count(r);
  devices = xcalloc(ndevices, sizeof *devices);
  for (uint32_t i = 0; i < ndevices; i++) {
    devices[i].name = rd_str(r);
    devices[i].naddrs = rd_count(r);
    devices[i].addrs = xcalloc(devices[i].naddrs, sizeof *devices[i].addrs);
    for (uint32_t j = 0; j < devices[i].naddrs; j++) {
      struct net_addr *a = &devices[i].addrs[j];
      a->family = rd_u32(r);
      a->prefixlen = rd_u32(r);
      a->flags = rd_u32(r);
      a->scope = rd_u32(r);
      memcpy(a->addr, rd_bytes(r, sizeof a->addr), sizeof a->addr);
    }
  }
}

struct req {
  struct nlmsghdr nh;
  union {
    struct ifinfomsg ifi;
    struct ifaddrmsg ifa;
  } u;
  char attrs[64];
};

static void add_attr(struct req *q, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)((char *)q + NLMSG_ALIGN(q->nh.nlmsg_len));
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  q->nh.nlmsg_len = NLMSG_ALIGN(q->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* send one request and wait for its acknowledgement: 0 or -1 with errno */
static int talk(int s, struct req *q) {
  static uint32_t seq;
  q->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  q->nh.nlmsg_seq = ++seq;
  if (send(s, q, q->nh.nlmsg_len, 0) < 0) return -1;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (err == 0) return 0;
      errno = -err;
      return -1;
    }
  }
}

static int link_up(int s, unsigned index) {
  struct req q;
  memset(&q, 0, sizeof q);
  q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  q.nh.nlmsg_type = RTM_NEWLINK;
  q.u.ifi.ifi_family = AF_UNSPEC;
  q.u.ifi.ifi_index = (int)index;
  q.u.ifi.ifi_flags = IFF_UP;
  q.u.ifi.ifi_change = IFF_UP;
  return talk(s, &q);
}

static int add_address(int s, unsigned index, const struct net_addr *a) {
  struct req q;
  memset(&q, 0, sizeof q);
  q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  q.nh.nlmsg_type = RTM_NEWADDR;
  q.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  q.u.ifa.ifa_family = (unsigned char)a->family;
  q.u.ifa.ifa_prefixlen = (unsigned char)a->prefixlen;
  q.u.ifa.ifa_flags = (unsigned char)a->flags;
  q.u.ifa.ifa_scope = (unsigned char)a->scope;
  q.u.ifa.ifa_index = index;
  size_t len = a->family == AF_INET ? 4 : 16;
  add_attr(&q, IFA_LOCAL, a->addr, len);
  add_attr(&q, IFA_ADDRESS, a->addr, len);
  return talk(s, &q);
}

/* the index of a device by name (SIOCGIFINDEX needs no extra socket: any socket will do) */
static unsigned link_index(int s, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) return 0;
  return (unsigned)ifr.ifr_ifindex;
}

void setup_network(const struct plan *p) {
  if (!(p->flags & OCIRT_PF_LOOPBACK_UP) && ndevices == 0) return;
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) fail(OCIRT_STEP_LOOPBACK, -1, "netlink socket");
  /* the loopback device is always index 1 (LOOPBACK_IFINDEX) in a new namespace */
  if ((p->flags & OCIRT_PF_LOOPBACK_UP) && link_up(s, 1) < 0) fail(OCIRT_STEP_LOOPBACK, -1, "lo");
  for (uint32_t i = 0; i < ndevices; i++) {
    const struct net_device *d = &devices[i];
    unsigned index = link_index(s, d->name);
    if (index == 0) fail(OCIRT_STEP_NET_DEVICE, (int)i, d->name);
    for (uint32_t j = 0; j < d->naddrs; j++)
      if (add_address(s, index, &d->addrs[j]) < 0 && errno != EEXIST) fail(OCIRT_STEP_NET_DEVICE, (int)i, d->name);
    if (link_up(s, index) < 0) fail(OCIRT_STEP_NET_DEVICE, (int)i, d->name);
  }
  close(s);
}
