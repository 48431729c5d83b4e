"""The service description of CreatePayment (WSDL 1.1, document/literal, SOAP 1.1 over HTTP).

seed 002 names the operation, the elements (`ser:PaymentRequest/ser:Payment`, `ns1:PaymentResponse/ns1:Payment`)
and their attributes, but not the namespace its `ser:` and `ns1:` prefixes stand for: ours is contract.NAMESPACE,
chosen once (docs/decisions.md). Elements are qualified and attributes unqualified, as the seed's sample writes them.
"""

from __future__ import annotations

from paybridge.codecs.soap import attribute
from paybridge.providers.emersion.contract import MAX_INVOICES, NAMESPACE

SOAP_ACTION = f"{NAMESPACE}#CreatePayment"

_DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="{namespace}" targetNamespace="{namespace}"
  name="EmersionServices">
  <wsdl:documentation>Emersion API/Services/CreatePayment: take a payment for a customer using the preferred
  automated payment method set on the customer's account. Authenticate with a WS-Security UsernameToken
  (PasswordText) or an x-api-key HTTP header. The IdempotencyKey header (or an Idempotency-Key HTTP header) makes a
  retry return the first answer instead of taking the payment again.</wsdl:documentation>
  <wsdl:types>
    <xsd:schema targetNamespace="{namespace}" elementFormDefault="qualified" attributeFormDefault="unqualified">
      <xsd:complexType name="Invoice">
        <xsd:attribute name="id" type="xsd:positiveInteger" use="required"/>
        <xsd:attribute name="amount_to_be_allocated" type="xsd:decimal" use="required"/>
      </xsd:complexType>
      <xsd:complexType name="Invoices">
        <xsd:sequence>
          <xsd:element name="Invoice" type="tns:Invoice" minOccurs="1" maxOccurs="{max_invoices}"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:complexType name="Payment">
        <xsd:sequence>
          <xsd:element name="Invoices" type="tns:Invoices" minOccurs="0"/>
        </xsd:sequence>
        <xsd:attribute name="account_id" type="xsd:positiveInteger" use="required"/>
        <xsd:attribute name="token" type="xsd:string" use="required"/>
        <xsd:attribute name="amount" type="xsd:decimal" use="required"/>
        <xsd:attribute name="payment_vanity_date" type="xsd:string"/>
      </xsd:complexType>
      <xsd:complexType name="PaymentResult">
        <xsd:attribute name="payment_id" type="xsd:long"/>
        <xsd:attribute name="result_code_id" type="xsd:int"/>
        <xsd:attribute name="response_message" type="xsd:string"/>
        <xsd:attribute name="receipt_number" type="xsd:long"/>
      </xsd:complexType>
      <xsd:element name="PaymentRequest">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="Payment" type="tns:Payment"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="PaymentResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="Payment" type="tns:PaymentResult"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="IdempotencyKey">
        <xsd:simpleType>
          <xsd:restriction base="xsd:string">
            <xsd:minLength value="1"/>
            <xsd:maxLength value="255"/>
          </xsd:restriction>
        </xsd:simpleType>
      </xsd:element>
      <xsd:element name="PaymentFault">
        <xsd:complexType>
          <xsd:attribute name="error_code" type="xsd:int"/>
          <xsd:attribute name="error_message" type="xsd:string"/>
        </xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="CreatePaymentRequest">
    <wsdl:part name="parameters" element="tns:PaymentRequest"/>
  </wsdl:message>
  <wsdl:message name="CreatePaymentResponse">
    <wsdl:part name="parameters" element="tns:PaymentResponse"/>
  </wsdl:message>
  <wsdl:message name="IdempotencyKeyHeader">
    <wsdl:part name="IdempotencyKey" element="tns:IdempotencyKey"/>
  </wsdl:message>
  <wsdl:message name="PaymentFault">
    <wsdl:part name="fault" element="tns:PaymentFault"/>
  </wsdl:message>
  <wsdl:portType name="ServicesPortType">
    <wsdl:operation name="CreatePayment">
      <wsdl:input message="tns:CreatePaymentRequest"/>
      <wsdl:output message="tns:CreatePaymentResponse"/>
      <wsdl:fault name="PaymentFault" message="tns:PaymentFault"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="ServicesBinding" type="tns:ServicesPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="CreatePayment">
      <soap:operation soapAction="{soap_action}" style="document"/>
      <wsdl:input>
        <soap:body use="literal" parts="parameters"/>
        <soap:header message="tns:IdempotencyKeyHeader" part="IdempotencyKey" use="literal"/>
      </wsdl:input>
      <wsdl:output>
        <soap:body use="literal"/>
      </wsdl:output>
      <wsdl:fault name="PaymentFault">
        <soap:fault name="PaymentFault" use="literal"/>
      </wsdl:fault>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="EmersionServices">
    <wsdl:port name="ServicesPort" binding="tns:ServicesBinding">
      <soap:address location={location}/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


def document(location: str) -> bytes:
    """The WSDL, its service at `location` (the absolute URL the client reached CreatePayment at)."""
    return _DOCUMENT.format(
        namespace=NAMESPACE, soap_action=SOAP_ACTION, max_invoices=MAX_INVOICES, location=attribute(location)
    ).encode()
