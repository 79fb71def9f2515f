#pragma once
/// The ngtcp2 and nghttp3 callback tables of h3_session (private to
/// protocols/http3).

#include <cstddef>
#include <cstdint>

typedef struct ngtcp2_callbacks ngtcp2_callbacks;
typedef struct nghttp3_callbacks nghttp3_callbacks;
typedef struct nghttp3_conn nghttp3_conn;
typedef struct nghttp3_vec nghttp3_vec;

namespace themis::http3 {

void fill_quic_callbacks(ngtcp2_callbacks& cb);
void fill_http_callbacks(nghttp3_callbacks& cb);
/// nghttp3_data_reader::read_data: the stream's response body pieces.
long read_data_trampoline(nghttp3_conn*, int64_t id, nghttp3_vec* vec,
                          size_t veccnt, uint32_t* flags, void* u, void*);

} // namespace themis::http3
