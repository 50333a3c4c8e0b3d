// linux.netDevices on the runtime's side (host network namespace): a device's permanent global
// addresses (which a move to another namespace drops; the init puts them back), and the move
// itself, renamed in the same request so the name never exists in the container under the old one.
// rtnetlink, each request acknowledged.
#include "launch_ops.h"
#include "util.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

struct Req {
  struct nlmsghdr nh;
  union {
    struct ifinfomsg ifi;
    struct ifaddrmsg ifa;
  } u;
  char attrs[128];
};

void AddAttr(Req *q, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = reinterpret_cast<struct rtattr *>(reinterpret_cast<char *>(q) + NLMSG_ALIGN(q->nh.nlmsg_len));
  a->rta_type = type;
  a->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  memcpy(RTA_DATA(a), data, len);
  q->nh.nlmsg_len = NLMSG_ALIGN(q->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

int Socket() { return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE); }

struct Addr {
  unsigned family, prefixlen, flags, scope;
  unsigned char addr[16];
};

// linkAddresses(name) -> { index, addresses: [{ family, prefixlen, flags, scope, address: Buffer(16) }] }
// Only what the runtime-spec asks to keep: permanent addresses of global scope.
Napi::Value LinkAddresses(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return TypeErr(env, "linkAddresses: name expected");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return Throw(env, "if_nametoindex", errno, name);
  int s = Socket();
  if (s < 0) return Throw(env, "socket(NETLINK_ROUTE)", errno);
  Req q;
  memset(&q, 0, sizeof q);
  q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  q.nh.nlmsg_type = RTM_GETADDR;
  q.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  q.nh.nlmsg_seq = 1;
  q.u.ifa.ifa_family = AF_UNSPEC;
  if (send(s, &q, q.nh.nlmsg_len, 0) < 0) {
    int e = errno;
    close(s);
    return Throw(env, "send(RTM_GETADDR)", e, name);
  }
  std::vector<Addr> out;
  std::vector<char> buf(32768);
  bool done = false;
  int err = 0;
  while (!done) {
    ssize_t n = recv(s, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    for (struct nlmsghdr *h = reinterpret_cast<struct nlmsghdr *>(buf.data()); NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        err = -reinterpret_cast<struct nlmsgerr *>(NLMSG_DATA(h))->error;
        done = true;
        break;
      }
      if (h->nlmsg_type != RTM_NEWADDR) continue;
      struct ifaddrmsg *ifa = static_cast<struct ifaddrmsg *>(NLMSG_DATA(h));
      if (ifa->ifa_index != index || ifa->ifa_scope != RT_SCOPE_UNIVERSE) continue;
      Addr a;
      memset(&a, 0, sizeof a);
      a.family = ifa->ifa_family;
      a.prefixlen = ifa->ifa_prefixlen;
      a.flags = ifa->ifa_flags;
      a.scope = ifa->ifa_scope;
      bool have = false;
      int len = static_cast<int>(IFA_PAYLOAD(h));
      for (struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) >= 4) memcpy(&a.flags, RTA_DATA(rta), 4);
        // IFA_LOCAL is the address itself on point-to-point links; IFA_ADDRESS otherwise
        if ((rta->rta_type == IFA_LOCAL || (rta->rta_type == IFA_ADDRESS && !have)) && RTA_PAYLOAD(rta) <= 16) {
          memcpy(a.addr, RTA_DATA(rta), RTA_PAYLOAD(rta));
          have = true;
        }
      }
      if (have && (a.flags & IFA_F_PERMANENT)) out.push_back(a);
    }
  }
  close(s);
  if (err) return Throw(env, "recv(RTM_GETADDR)", err, name);
  Napi::Object r = Napi::Object::New(env);
  r.Set("index", Napi::Number::New(env, index));
  Napi::Array list = Napi::Array::New(env, out.size());
  for (size_t i = 0; i < out.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", Napi::Number::New(env, out[i].family));
    o.Set("prefixlen", Napi::Number::New(env, out[i].prefixlen));
    o.Set("flags", Napi::Number::New(env, out[i].flags & 0xff));
    o.Set("scope", Napi::Number::New(env, out[i].scope));
    o.Set("address", Napi::Buffer<unsigned char>::Copy(env, out[i].addr, 16));
    list.Set(static_cast<uint32_t>(i), o);
  }
  r.Set("addresses", list);
  return r;
}

// linkMove(name, pid, newName): move the device into pid's network namespace, named newName there
Napi::Value LinkMove(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsString())
    return TypeErr(env, "linkMove: (name, pid, newName) expected");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uint32_t pid = info[1].As<Napi::Number>().Uint32Value();
  std::string newName = info[2].As<Napi::String>().Utf8Value();
  if (newName.size() >= IFNAMSIZ) return Throw(env, "linkMove", ENAMETOOLONG, newName);
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return Throw(env, "if_nametoindex", errno, name);
  int s = Socket();
  if (s < 0) return Throw(env, "socket(NETLINK_ROUTE)", errno);
  Req q;
  memset(&q, 0, sizeof q);
  q.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  q.nh.nlmsg_type = RTM_NEWLINK;
  q.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  q.nh.nlmsg_seq = 1;
  q.u.ifi.ifi_family = AF_UNSPEC;
  q.u.ifi.ifi_index = static_cast<int>(index);
  AddAttr(&q, IFLA_NET_NS_PID, &pid, sizeof pid);
  AddAttr(&q, IFLA_IFNAME, newName.c_str(), newName.size() + 1);
  int err = 0;
  if (send(s, &q, q.nh.nlmsg_len, 0) < 0) err = errno;
  char buf[4096];
  while (!err) {
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    struct nlmsghdr *h = reinterpret_cast<struct nlmsghdr *>(buf);
    if (NLMSG_OK(h, static_cast<unsigned>(n)) && h->nlmsg_type == NLMSG_ERROR) {
      err = -reinterpret_cast<struct nlmsgerr *>(NLMSG_DATA(h))->error;
      break;
    }
  }
  close(s);
  if (err) return Throw(env, "RTM_NEWLINK (move to the container's network namespace)", err, name);
  return env.Undefined();
}

}  // namespace

void RegisterNetdevOps(Napi::Env env, Napi::Object exports) {
  exports.Set("linkAddresses", Napi::Function::New(env, LinkAddresses, "linkAddresses"));
  exports.Set("linkMove", Napi::Function::New(env, LinkMove, "linkMove"));
}
