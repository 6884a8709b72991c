import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { z } from 'zod';
import { plainText } from '@mercato/contracts';
import { parseRequest } from '@mercato/grpc';
import {
  PaymentStatus,
  type GetPaymentResponse,
  type Payment,
  type RefundPaymentResponse,
} from '@mercato/contracts/payment';
import type { PaymentRecord } from './payments.repository.js';
import { PaymentsService } from './payments.service.js';

const SERVICE = 'PaymentService';
const orderId = z.uuid('must be an order id');

/** The stored payment as the mercato.payment.v1.Payment message. */
export const toPaymentMessage = (payment: PaymentRecord): Payment => ({
  id: payment.id,
  orderId: payment.orderId,
  customerId: payment.customerId,
  status: PaymentStatus[`PAYMENT_STATUS_${payment.status}`],
  amount: { amountMinor: payment.amountMinor, currency: payment.currency },
  providerReference: payment.providerReference,
  failureCode: payment.failureCode,
  createdAt: payment.createdAt.toISOString(),
  updatedAt: payment.updatedAt.toISOString(),
});

/** mercato.payment.v1.PaymentService. */
@Controller()
export class PaymentsGrpcController {
  constructor(private readonly payments: PaymentsService) {}

  @GrpcMethod(SERVICE, 'GetPayment')
  async getPayment(request: unknown): Promise<GetPaymentResponse> {
    const { orderId: id } = parseRequest(z.object({ orderId }), request);
    return { payment: toPaymentMessage(await this.payments.get(id)) };
  }

  @GrpcMethod(SERVICE, 'RefundPayment')
  async refundPayment(request: unknown): Promise<RefundPaymentResponse> {
    const { orderId: id, reason } = parseRequest(
      z.object({ orderId, reason: plainText(200) }),
      request,
    );
    return {
      payment: toPaymentMessage(await this.payments.refund(id, reason || 'refund_requested')),
    };
  }
}
