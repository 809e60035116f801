// Test certificates generated at runtime with the OpenSSL 3 EVP/X509 APIs:
// nothing secret or expiring is checked into the repository.
#include "fakes/fake_server.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace deploybot::fakes {
namespace {

struct evp_pkey_free_fn {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free_fn {
    void operator()(X509* p) const { X509_free(p); }
};
struct bio_free_fn {
    void operator()(BIO* p) const { BIO_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, evp_pkey_free_fn>;
using x509_ptr = std::unique_ptr<X509, x509_free_fn>;
using bio_ptr = std::unique_ptr<BIO, bio_free_fn>;

// PKI generation failing is a broken test environment, not an expected error.
void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test_pki: ") + what);
}

pkey_ptr make_key() {
    pkey_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// issuer/issuer_key null → self-signed.
x509_ptr make_cert(EVP_PKEY* key, const std::string& common_name, bool is_ca, X509* issuer,
                   EVP_PKEY* issuer_key) {
    x509_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);
    unsigned char serial_bytes[16];
    RAND_bytes(serial_bytes, sizeof serial_bytes);
    serial_bytes[0] &= 0x7f;   // positive serial
    BIGNUM* serial_bn = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
    BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert.get()));
    BN_free(serial_bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 7);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("deploybot tests"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
    X509* signer = issuer ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    if (is_ca) {
        add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
    } else {
        add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
        add_ext(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
        add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
        add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    }
    check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string cert_pem(X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
    return bio_to_string(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
    return bio_to_string(bio.get());
}

std::string write_temp_file(const std::string& content) {
    std::string path = "/tmp/deploybot-test-ca-XXXXXX.pem";
    int fd = ::mkstemps(path.data(), 4);
    check(fd >= 0, "mkstemps");
    std::size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        check(n > 0, "write");
        off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path;
}

test_pki make_test_pki() {
    test_pki out;
    pkey_ptr ca_key = make_key();
    x509_ptr ca = make_cert(ca_key.get(), "deploybot test CA", true, nullptr, nullptr);
    pkey_ptr server_key = make_key();
    x509_ptr server = make_cert(server_key.get(), "localhost", false, ca.get(), ca_key.get());
    pkey_ptr other_key = make_key();
    x509_ptr other = make_cert(other_key.get(), "unrelated test CA", true, nullptr, nullptr);

    out.ca_cert_pem = cert_pem(ca.get());
    out.server_cert_pem = cert_pem(server.get());
    out.server_key_pem = key_pem(server_key.get());
    out.ca_file = write_temp_file(out.ca_cert_pem);
    out.other_ca_file = write_temp_file(cert_pem(other.get()));
    return out;
}

}  // namespace

namespace {

// The temp files go when the process ends (the bots a test starts have read them by then).
struct pki_with_files : test_pki {
    ~pki_with_files() {
        std::remove(ca_file.c_str());
        std::remove(other_ca_file.c_str());
    }
};

}  // namespace

const test_pki& pki() {
    static const pki_with_files instance{make_test_pki()};   // thread-safe static init
    return instance;
}

}  // namespace deploybot::fakes
