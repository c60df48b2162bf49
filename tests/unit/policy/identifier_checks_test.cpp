// The structure and checksum rules that separate real identifiers from
// numbers that only look like them.

#include <gtest/gtest.h>

#include "policy/identifier_checks.h"

namespace privmilter {
namespace {

TEST(PaymentCardCheck, AcceptsTestNumbersOfEachNetwork) {
  for (const char* number : {
           "4111111111111111", "4012888888881881", "4222222222222", "4111111111111111110",  // Visa 16, 13, 19
           "5555555555554444", "5105105105105100", "2223003122003222", "2720000000000005",  // Mastercard
           "378282246310005", "371449635398431",                                            // Amex
           "6011111111111117", "6011000990139424", "6460000000000000",                      // Discover
           "30569309025904", "38520000023237", "30000000000004",                            // Diners
           "3530111333300000", "3566002020360505",                                          // JCB
           "6200000000000005",                                                              // UnionPay
       }) {
    EXPECT_TRUE(is_valid_payment_card(number)) << number;
  }
}

TEST(PaymentCardCheck, RefusesChecksumFailures) {
  EXPECT_FALSE(is_valid_payment_card("4111111111111112"));
  EXPECT_FALSE(is_valid_payment_card("5555555555554445"));
  EXPECT_FALSE(is_valid_payment_card("378282246310006"));
}

TEST(PaymentCardCheck, RefusesLengthsTheIssuerDoesNotUse) {
  EXPECT_FALSE(is_valid_payment_card("411111111111116"));    // Visa, 15 digits, Luhn-valid
  EXPECT_FALSE(is_valid_payment_card("41111111111114"));     // Visa, 14
  EXPECT_FALSE(is_valid_payment_card("3782822463100052"));   // Amex, 16
  EXPECT_FALSE(is_valid_payment_card("55555555555544440"));  // Mastercard, 17
  EXPECT_FALSE(is_valid_payment_card("411111111111"));       // too short for any card
}

TEST(PaymentCardCheck, RefusesUnknownIssuerPrefixes) {
  EXPECT_FALSE(is_valid_payment_card("1234567812345670"));  // Luhn-valid, no network starts with 1
  EXPECT_FALSE(is_valid_payment_card("2721000000000004"));  // just past Mastercard's 2720
  EXPECT_FALSE(is_valid_payment_card("3527000000000008"));  // just before JCB's 3528
  EXPECT_FALSE(is_valid_payment_card("30600000000001"));    // Diners stops at 305
}

TEST(PaymentCardCheck, RefusesAnythingButDigits) {
  EXPECT_FALSE(is_valid_payment_card("4111-1111-1111-1111"));
  EXPECT_FALSE(is_valid_payment_card(""));
}

TEST(SsnCheck, AcceptsWellFormedNumbers) {
  EXPECT_TRUE(is_valid_us_ssn("536221234"));
  EXPECT_TRUE(is_valid_us_ssn("001010001"));
  EXPECT_TRUE(is_valid_us_ssn("899991234"));
  // The textbook sample is kept: mail that quotes it is treated as carrying an SSN.
  EXPECT_TRUE(is_valid_us_ssn("123456789"));
}

TEST(SsnCheck, RefusesImpossibleAreasGroupsAndSerials) {
  for (const char* number : {"000123456", "666123456", "900123456", "999123456", "123004567", "123450000"}) {
    EXPECT_FALSE(is_valid_us_ssn(number)) << number;
  }
}

TEST(SsnCheck, RefusesAdvertisedNumbers) {
  EXPECT_FALSE(is_valid_us_ssn("078051120"));  // the Woolworth wallet card
  EXPECT_FALSE(is_valid_us_ssn("219099999"));  // a Social Security Administration advertisement
  EXPECT_FALSE(is_valid_us_ssn("987654320"));  // the reserved advertising range 987-65-4320..4329
}

TEST(SsnCheck, RefusesWrongLengths) {
  EXPECT_FALSE(is_valid_us_ssn("53622123"));
  EXPECT_FALSE(is_valid_us_ssn("5362212345"));
}

TEST(AbaRoutingCheck, AcceptsRealRoutingNumbers) {
  for (const char* number : {"011000015", "021000021", "026009593", "121000248", "322271627", "801000018"}) {
    EXPECT_TRUE(is_valid_aba_routing(number)) << number;
  }
}

TEST(AbaRoutingCheck, RefusesChecksumFailuresAndUnusedPrefixes) {
  EXPECT_FALSE(is_valid_aba_routing("021000022"));  // checksum
  EXPECT_FALSE(is_valid_aba_routing("131000018"));  // checksum fine, prefix 13 unused
  EXPECT_FALSE(is_valid_aba_routing("331000012"));  // prefix 33
  EXPECT_FALSE(is_valid_aba_routing("501000017"));  // prefix 50
  EXPECT_FALSE(is_valid_aba_routing("02100002"));   // 8 digits
}

TEST(IbanCheck, AcceptsIbansOfSeveralCountries) {
  for (const char* iban : {"DE89370400440532013000", "GB82WEST12345698765432", "GB29NWBK60161331926819",
                           "FR1420041010050500013M02606", "NL91ABNA0417164300", "CH9300762011623852957",
                           "NO9386011117947", "BE68539007547034", "ES9121000418450200051332",
                           "IT60X0542811101000000123456"}) {
    EXPECT_TRUE(is_valid_iban(iban)) << iban;
  }
}

TEST(IbanCheck, RefusesChecksumLengthAndCountryErrors) {
  EXPECT_FALSE(is_valid_iban("DE89370400440532013001"));  // mod 97
  EXPECT_FALSE(is_valid_iban("GB88WEST1234569876543"));   // mod 97 fine, one short for GB
  EXPECT_FALSE(is_valid_iban("XY43370400440532013000"));  // mod 97 fine, no such country
  EXPECT_FALSE(is_valid_iban("de89370400440532013000"));  // lowercase is not how IBANs are printed
}

TEST(IdentifierKindNames, RoundTrip) {
  for (const IdentifierKind kind : {IdentifierKind::payment_card, IdentifierKind::us_ssn,
                                    IdentifierKind::aba_routing, IdentifierKind::iban}) {
    EXPECT_EQ(parse_identifier_kind(to_string(kind)), kind);
  }
  EXPECT_FALSE(parse_identifier_kind("ssn").has_value());
}

}  // namespace
}  // namespace privmilter
