/* net.c -- batch UDP receive and send for the collector commands
 * (flow-capture, flow-receive, flow-fanout, flow-send).
 *
 * THE documented exception to "no I/O in csrc" (STYLE.md): the per-datagram
 * system-call work of a collector belongs in C, like every other per-record
 * step, so that Python handles whole batches.  Only these functions touch a
 * file descriptor; they never print, exit, allocate or keep state, and they
 * report a failed system call as FTC_ESYS with the errno value in an
 * out-parameter (the errno variable itself is not part of the API).
 *
 * Receive: poll() with a timeout, then recvmmsg() (MSG_DONTWAIT) repeatedly
 * into caller slots until they are full or the socket is drained; each
 * datagram's length, IPv4 source, source port and local destination
 * address (IP_PKTINFO / IPV6_PKTINFO) are stored, IPv6 sources as 16 bytes.
 * The datagrams are then packed back to back at the start of the buffer,
 * the shape ftc_pdu_rx_batch() takes.
 * Send: sendmmsg() of datagrams packed back to back, to one destination. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ftcore.h"
#include "ftc_internal.h"

#define BURST 256     /* mmsghdr entries per system call */

static uint32_t v4_of6(const struct in6_addr *a)
{
    const uint8_t *b = a->s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) != 0)
        return 0;
    return ((uint32_t)b[12] << 24) | ((uint32_t)b[13] << 16) |
           ((uint32_t)b[14] << 8) | (uint32_t)b[15];
}

int ftc_net_recv(int fd, uint8_t *buf, size_t buf_len, size_t slot, size_t nslots,
                 int timeout_ms,
                 uint32_t *lens, uint32_t *src_ips, uint32_t *dst_ips,
                 uint16_t *src_ports, uint8_t *src6, size_t *n, int *err)
{
    struct mmsghdr msg[BURST];
    struct iovec iov[BURST];
    struct sockaddr_storage from[BURST];
    union { char buf[128]; struct cmsghdr align; } ctl[BURST];
    size_t got = 0;

    if (!n || !err)
        return FTC_EINVAL;
    *n = 0;
    *err = 0;
    if (fd < 0 || buf == NULL || lens == NULL || slot == 0 || slot > 0xFFFFFFFFu
        || nslots > buf_len / slot)
        return FTC_EINVAL;
    if (nslots == 0)
        return FTC_OK;
    if (timeout_ms != 0) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, timeout_ms);
        if (r < 0) {
            if (errno == EINTR)
                return FTC_OK;       /* a signal: let the caller look */
            *err = errno;
            return FTC_ESYS;
        }
        if (r == 0)
            return FTC_OK;
    }
    while (got < nslots) {
        size_t want = nslots - got, i;
        int r;
        if (want > BURST)
            want = BURST;
        for (i = 0; i < want; i++) {
            iov[i].iov_base = buf + (got + i) * slot;
            iov[i].iov_len = slot;
            memset(&msg[i].msg_hdr, 0, sizeof msg[i].msg_hdr);
            msg[i].msg_hdr.msg_name = &from[i];
            msg[i].msg_hdr.msg_namelen = sizeof from[i];
            msg[i].msg_hdr.msg_iov = &iov[i];
            msg[i].msg_hdr.msg_iovlen = 1;
            msg[i].msg_hdr.msg_control = ctl[i].buf;
            msg[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
            msg[i].msg_len = 0;
        }
        r = recvmmsg(fd, msg, (unsigned)want, MSG_DONTWAIT, NULL);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                break;
            if (errno == ECONNREFUSED)   /* a stale ICMP error: not ours */
                continue;
            *err = errno;
            if (got)
                break;
            return FTC_ESYS;
        }
        for (i = 0; i < (size_t)r; i++) {
            size_t k = got + i;
            uint32_t sip = 0, dip = 0;
            uint16_t sport = 0;
            struct cmsghdr *c;
            lens[k] = msg[i].msg_len > slot ? (uint32_t)slot : (uint32_t)msg[i].msg_len;
            if (src6)
                memset(src6 + 16 * k, 0, 16);
            if (from[i].ss_family == AF_INET) {
                const struct sockaddr_in *s = (const struct sockaddr_in *)&from[i];
                sip = ntohl(s->sin_addr.s_addr);
                sport = ntohs(s->sin_port);
                if (src6) {
                    src6[16 * k + 10] = 0xff;
                    src6[16 * k + 11] = 0xff;
                    memcpy(src6 + 16 * k + 12, &s->sin_addr, 4);
                }
            } else if (from[i].ss_family == AF_INET6) {
                const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&from[i];
                sip = v4_of6(&s->sin6_addr);
                sport = ntohs(s->sin6_port);
                if (src6)
                    memcpy(src6 + 16 * k, &s->sin6_addr, 16);
            }
            for (c = CMSG_FIRSTHDR(&msg[i].msg_hdr); c != NULL;
                 c = CMSG_NXTHDR(&msg[i].msg_hdr, c)) {
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                    struct in_pktinfo pi;
                    memcpy(&pi, CMSG_DATA(c), sizeof pi);
                    dip = ntohl(pi.ipi_addr.s_addr);
                } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
                    struct in6_pktinfo pi;
                    memcpy(&pi, CMSG_DATA(c), sizeof pi);
                    dip = v4_of6(&pi.ipi6_addr);
                }
            }
            if (src_ips)
                src_ips[k] = sip;
            if (dst_ips)
                dst_ips[k] = dip;
            if (src_ports)
                src_ports[k] = sport;
        }
        got += (size_t)r;
        if ((size_t)r < want)
            break;                        /* drained */
    }
    /* pack back to back: every destination is at or before its source */
    {
        size_t i, off = 0;
        for (i = 0; i < got; i++) {
            if (off != i * slot)
                memmove(buf + off, buf + i * slot, lens[i]);
            off += lens[i];
        }
    }
    *n = got;
    return FTC_OK;
}

int ftc_net_pktinfo(int fd, int v6, int *err)
{
    int on = 1;
    if (!err)
        return FTC_EINVAL;
    *err = 0;
    if (v6) {
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) < 0) {
            *err = errno;
            return FTC_ESYS;
        }
        (void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
        return FTC_OK;
    }
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) < 0) {
        *err = errno;
        return FTC_ESYS;
    }
    return FTC_OK;
}

int ftc_net_send(int fd, const uint8_t *buf, size_t buf_len, const uint32_t *lens, size_t n,
                 const void *addr, uint32_t addrlen, size_t *sent, int *err)
{
    struct mmsghdr msg[BURST];
    struct iovec iov[BURST];
    size_t done = 0, off = 0;

    if (!sent || !err)
        return FTC_EINVAL;
    *sent = 0;
    *err = 0;
    if (fd < 0 || (n && (buf == NULL || lens == NULL)) || (buf == NULL && buf_len)
        || (n && !ftc_lens_fit(lens, n, buf_len)))
        return FTC_EINVAL;
    while (done < n) {
        size_t want = n - done, i, o = off;
        int r;
        if (want > BURST)
            want = BURST;
        for (i = 0; i < want; i++) {
            iov[i].iov_base = (void *)(buf + o);
            iov[i].iov_len = lens[done + i];
            o += lens[done + i];
            memset(&msg[i].msg_hdr, 0, sizeof msg[i].msg_hdr);
            msg[i].msg_hdr.msg_name = (void *)addr;
            msg[i].msg_hdr.msg_namelen = addr ? addrlen : 0;
            msg[i].msg_hdr.msg_iov = &iov[i];
            msg[i].msg_hdr.msg_iovlen = 1;
        }
        r = sendmmsg(fd, msg, (unsigned)want, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            *sent = done;
            return FTC_ESYS;
        }
        for (i = 0; i < (size_t)r; i++)
            off += lens[done + i];
        done += (size_t)r;
    }
    *sent = done;
    return FTC_OK;
}
