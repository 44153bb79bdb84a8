import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@referloop/common';
import { PractitionersService } from '@referloop/identity';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { ApiProblems } from '../http/api-problems.decorator';
import { UserResponseDto } from './user.dto';

@ApiTags('me')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(private readonly practitioners: PractitionersService) {}

  /** The signed-in user, with their clinic. */
  @Get()
  @ApiProblems('unauthenticated')
  me(@CurrentPrincipal() principal: Principal): Promise<UserResponseDto> {
    return this.practitioners.me(principal);
  }
}
